import Clibgit2

/// The libgit2 version dsnap runs on, for `dsnap --version` and bug reports.
public enum LibGit2Version {
    public static var string: String {
        var major: Int32 = 0, minor: Int32 = 0, revision: Int32 = 0
        git_libgit2_version(&major, &minor, &revision)
        return "\(major).\(minor).\(revision)"
    }
}
