using System.Runtime.InteropServices;

namespace KalkiEdge.DataPlane.Io;

/// <summary>
/// The owner, group, type, mode and identity (device and inode) of a path as the kernel reports them. .NET has no API for
/// a file's owner or inode; statx(2) is used because its struct has one layout on every architecture.
/// </summary>
public readonly partial record struct PosixFileStatus(uint Owner, uint Mode, ulong Device, ulong Inode, uint Group)
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxTypeModeUidGidIno = 0x1 | 0x2 | 0x8 | 0x10 | 0x100;
    private const uint TypeMask = 0xF000;

    /// <summary>Permission bits, with set-id and sticky.</summary>
    public UnixFileMode Permissions => (UnixFileMode)(Mode & 0xFFF);

    public bool IsDirectory => (Mode & TypeMask) == 0x4000;

    public bool IsRegularFile => (Mode & TypeMask) == 0x8000;

    public bool IsSocket => (Mode & TypeMask) == 0xC000;

    /// <summary>Root or this process's own user: the only owners a control socket or its directory may have.</summary>
    public bool OwnedByUsOrRoot => Owner == 0 || Owner == EffectiveUser;

    /// <summary>The effective uid of this process.</summary>
    public static uint EffectiveUser => geteuid();

    /// <summary>
    /// The path itself (a final symbolic link is not followed), or null when it cannot be examined (missing,
    /// no permission): callers treat that as untrusted.
    /// </summary>
    public static PosixFileStatus? Of(string path) => Stat(path, AtSymlinkNoFollow);

    /// <summary>What the path names after following links: two paths with equal identity are one file.</summary>
    public static PosixFileStatus? OfTarget(string path) => Stat(path, 0);

    /// <summary>True when both paths exist and name the same file (through links, hard or symbolic, too).</summary>
    public static bool SameFile(string a, string b) =>
        OfTarget(a) is { } x && OfTarget(b) is { } y && x.Device == y.Device && x.Inode == y.Inode;

    private static PosixFileStatus? Stat(string path, int flags)
    {
        var buffer = new byte[256];
        if (path.Contains('\0', StringComparison.Ordinal) || statx(AtFdCwd, path, flags, StatxTypeModeUidGidIno, buffer) != 0)
        {
            return null;
        }

        // struct statx (host byte order): stx_uid at byte 20, stx_gid at 24, stx_mode (u16) at 28, stx_ino at 32,
        // stx_dev_major and stx_dev_minor at 136 and 140.
        var device = ((ulong)BitConverter.ToUInt32(buffer, 136) << 32) | BitConverter.ToUInt32(buffer, 140);
        return new PosixFileStatus(BitConverter.ToUInt32(buffer, 20), BitConverter.ToUInt16(buffer, 28), device, BitConverter.ToUInt64(buffer, 32), BitConverter.ToUInt32(buffer, 24));
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, [Out] byte[] buffer);

    [LibraryImport("libc")]
    private static partial uint geteuid();
}
