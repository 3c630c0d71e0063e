import Foundation

/// The limits `runbook info` checks, given on its command line; nil means not checked.
public struct InventoryThresholds: Sendable {
    /// The newest verified dump of every database (and the roles dump) must be younger.
    public var maxBackupAge: Double?
    /// Every database's newest restore test must be younger, and must have passed.
    public var maxRestoreTestAge: Double?
    /// The newest archived WAL segment must be younger.
    public var maxWALLag: Double?
    /// The offsite repository must be readable, and the newest verified dump there of every
    /// database (those it holds and those the local manifest knows), and its roles dump, younger.
    public var maxOffsiteAge: Double?

    public init(maxBackupAge: Double? = nil, maxRestoreTestAge: Double? = nil, maxWALLag: Double? = nil, maxOffsiteAge: Double? = nil) {
        self.maxBackupAge = maxBackupAge
        self.maxRestoreTestAge = maxRestoreTestAge
        self.maxWALLag = maxWALLag
        self.maxOffsiteAge = maxOffsiteAge
    }

    public var isEmpty: Bool { maxBackupAge == nil && maxRestoreTestAge == nil && maxWALLag == nil && maxOffsiteAge == nil }

    /// One line per broken threshold, in the order the inventory lists things.
    public func breaches(of inventory: BackupInventory) -> [String] {
        var out: [String] = []
        if let limit = maxBackupAge {
            if inventory.databases.isEmpty { out.append("no database backups in \(inventory.locations.dumps.path)") }
            for db in inventory.databases {
                guard let newest = db.newest else { out.append("\(db.database): no verified backup"); continue }
                if newest.ageSeconds > limit {
                    out.append("\(db.database): newest backup is \(AgeText.format(newest.ageSeconds)) old (max-age \(AgeText.format(limit)))")
                }
            }
            if let g = inventory.globals?.newest, g.ageSeconds > limit {
                out.append("roles: newest dump is \(AgeText.format(g.ageSeconds)) old (max-age \(AgeText.format(limit)))")
            }
        }
        if let limit = maxRestoreTestAge {
            for db in inventory.databases {
                guard let test = db.lastRestoreTest else { out.append("\(db.database): never restore-tested"); continue }
                if !test.passed { out.append("\(db.database): last restore test failed") }
                if test.ageSeconds > limit {
                    out.append("\(db.database): last restore test is \(AgeText.format(test.ageSeconds)) old (max-restore-test-age \(AgeText.format(limit)))")
                }
            }
        }
        if let limit = maxWALLag {
            if let lag = inventory.walArchive?.lagSeconds {
                if lag > limit { out.append("WAL archive: newest segment is \(AgeText.format(lag)) old (max-wal-lag \(AgeText.format(limit)))") }
            } else {
                out.append("WAL archive: no archived segment in \(inventory.locations.walArchive.path)")
            }
            for gap in inventory.walArchive?.gaps.prefix(1) ?? [] { out.append("WAL archive: segment \(gap) is missing") }
        }
        if let limit = maxOffsiteAge { out += offsiteBreaches(inventory, limit: limit) }
        return out
    }

    private func offsiteBreaches(_ inventory: BackupInventory, limit: Double) -> [String] {
        let offsite = inventory.offsite
        guard offsite.configured else { return ["offsite: the profile has no repository target (max-offsite-age)"] }
        guard offsite.readable else { return ["offsite: repository \(offsite.location ?? "") cannot be read"] }
        var out: [String] = []
        let names = Set(offsite.databases.map(\.database)).union(inventory.databases.map(\.database)).sorted()
        if names.isEmpty { out.append("offsite: no database backups in \(offsite.location ?? "the repository")") }
        for name in names {
            guard let newest = offsite.databases.first(where: { $0.database == name })?.newest else {
                out.append("offsite \(name): no verified backup in the repository"); continue
            }
            if newest.ageSeconds > limit {
                out.append("offsite \(name): newest backup is \(AgeText.format(newest.ageSeconds)) old (max-offsite-age \(AgeText.format(limit)))")
            }
        }
        if let g = offsite.globals?.newest {
            if g.ageSeconds > limit {
                out.append("offsite roles: newest dump is \(AgeText.format(g.ageSeconds)) old (max-offsite-age \(AgeText.format(limit)))")
            }
        } else if inventory.globals != nil {
            out.append("offsite roles: no verified roles dump in the repository")
        }
        return out
    }
}

/// Ages for people: `3d 4h`, `26h 5m`, `4m 10s`, `12s`.
public enum AgeText {
    public static func format(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 0 { return "0s" }
        let d = s / 86_400, h = (s % 86_400) / 3_600, m = (s % 3_600) / 60, sec = s % 60
        if d > 0 { return h > 0 ? "\(d)d \(h)h" : "\(d)d" }
        if h > 0 { return m > 0 ? "\(h)h \(m)m" : "\(h)h" }
        if m > 0 { return sec > 0 ? "\(m)m \(sec)s" : "\(m)m" }
        return "\(sec)s"
    }

    /// Bytes for people: `812 B`, `3.4 KiB`, `1.2 GiB`.
    public static func bytes(_ n: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(n)
        var unit = 0
        while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(n) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}
