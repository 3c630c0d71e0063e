#!/usr/bin/env bash
# Links the debug build's `runbook` again, with the Swift runtime and Foundation inside it, to
# .build/static/runbook: a binary that needs only glibc, libstdc++ and zlib from the system, so
# it runs when bind-mounted into a glibc-based postgres container (the tests' container has the
# host's /usr but not the Swift toolchain in /opt/swift). The WAL-in-a-container test mounts it.
#
# Why a relink and not `swift build --static-swift-stdlib`: a separate build directory would
# compile everything a second time (minutes on 2 cores), and switching the flag on and off in
# .build recompiles the CLI modules both ways (about 15 s of CPU each, measured) and still needs
# the group below; this reuses the objects of the `swift build --build-tests` just done
# (about 3 s of CPU). Operators build the release binary with SwiftPM itself (docs/repository.md).
#
# The linker group: objects compiled without -static-stdlib autolink only the shared Foundation
# (-lFoundation ...), not the archives static Foundation needs in turn (_FoundationICU,
# CoreFoundation, _FoundationCShims), so without it the link fails with undefined
# swift_udat_open, kCFBooleanTrue, ... (Swift 6.3.1).
set -euo pipefail
cd "$(dirname "$0")/.."

build=$(swift build --show-bin-path)
objects="$build/runbook.product/Objects.LinkFileList"
[ -f "$objects" ] || { echo "static-runbook: $objects is missing: run swift build --build-tests first" >&2; exit 1; }
out=.build/static/runbook
mkdir -p "$(dirname "$out")"

group=(-Xlinker --start-group)
for lib in Foundation FoundationEssentials FoundationInternationalization _FoundationICU _FoundationCShims \
           _FoundationCollections CoreFoundation swiftCore stdc++; do
  group+=(-Xlinker "-l$lib")
done
group+=(-Xlinker --end-group)

# The same link SwiftPM runs for the product (swift build -v shows it), plus -static-stdlib. SwiftPM
# compiles an executable module's entry point as runbook_main so tests can import it.
swiftc -static-stdlib -emit-executable -module-name runbook -target "$(uname -m)-unknown-linux-gnu" \
  -L "$build" -o "$out.tmp" -Xlinker --defsym -Xlinker main=runbook_main "@$objects" \
  -lm -lz -ldl -g "${group[@]}" 2> >(grep -v "the use of \`mktemp' is dangerous" >&2)
mv -f "$out.tmp" "$out"

if ldd "$out" | grep -E 'libswift|libFoundation|libdispatch|libBlocksRuntime' >&2; then
  echo "static-runbook: $out still needs the Swift runtime libraries above" >&2
  exit 1
fi
echo "static-runbook: $out ($("$out" --version))"
