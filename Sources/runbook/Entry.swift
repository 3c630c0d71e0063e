import RunbookCLI

@main
struct Entry {
    static func main() async {
        await RunbookCommand.main()
    }
}
