import Clibgit2

/// Tree entry modes as plain numbers, so code outside Git/ never sees libgit2's enum.
public enum GitFileMode {
    public static let regular = UInt32(GIT_FILEMODE_BLOB.rawValue)
    public static let executable = UInt32(GIT_FILEMODE_BLOB_EXECUTABLE.rawValue)
    public static let symlink = UInt32(GIT_FILEMODE_LINK.rawValue)
    public static let submodule = UInt32(GIT_FILEMODE_COMMIT.rawValue)
    public static let tree = UInt32(GIT_FILEMODE_TREE.rawValue)
}
