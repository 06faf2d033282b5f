using System.Runtime.InteropServices;

namespace KalkiEdge.DataPlane.Io;

/// <summary>
/// Gives a tree of files to a user and group (lchown(2); .NET has no API for it): what root makes in a directory
/// another user runs from must stay that user's to read, move and delete.
/// </summary>
public static partial class PosixOwner
{
    /// <summary>
    /// <paramref name="root"/> and everything below it (symbolic links themselves, never their targets) to
    /// <paramref name="user"/>:<paramref name="group"/>. Throws <see cref="IOException"/> naming the path and the
    /// kernel's reason.
    /// </summary>
    public static void GiveTree(string root, uint user, uint group)
    {
        Give(root, user, group);
        if (!Directory.Exists(root) || File.GetAttributes(root).HasFlag(FileAttributes.ReparsePoint))
        {
            return;
        }

        foreach (var entry in Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            Give(entry, user, group);
        }
    }

    private static void Give(string path, uint user, uint group)
    {
        if (lchown(path, user, group) != 0)
        {
            throw new IOException($"{path}: cannot give it to uid {user} gid {group}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lchown(string path, uint owner, uint group);
}
