using System.Runtime.InteropServices;

namespace KalkiEdge.Management;

/// <summary>
/// The owner, type and mode of a path as the kernel reports them, without following a final symbolic link.
/// .NET has no API for a file's owner; statx(2) is used because its struct has one layout on every architecture.
/// </summary>
internal readonly partial record struct PosixFileStatus(uint Owner, uint Mode)
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxTypeModeUid = 0x1 | 0x2 | 0x8;
    private const uint TypeMask = 0xF000;

    /// <summary>Permission bits, with set-id and sticky.</summary>
    public UnixFileMode Permissions => (UnixFileMode)(Mode & 0xFFF);

    public bool IsDirectory => (Mode & TypeMask) == 0x4000;

    public bool IsSymbolicLink => (Mode & TypeMask) == 0xA000;

    public bool IsSocket => (Mode & TypeMask) == 0xC000;

    /// <summary>The effective uid of this process.</summary>
    public static uint EffectiveUser => geteuid();

    /// <summary>Null when the path cannot be examined (missing, no permission): the caller treats that as untrusted.</summary>
    public static PosixFileStatus? Of(string path)
    {
        var buffer = new byte[256];
        if (statx(AtFdCwd, path, AtSymlinkNoFollow, StatxTypeModeUid, buffer) != 0)
        {
            return null;
        }

        // struct statx: stx_uid at byte 20, stx_mode (u16) at byte 28; host byte order.
        return new PosixFileStatus(BitConverter.ToUInt32(buffer, 20), BitConverter.ToUInt16(buffer, 28));
    }

    /// <summary>Root or this process's own user: the only owners a control socket or its directory may have.</summary>
    public bool OwnedByUsOrRoot => Owner == 0 || Owner == EffectiveUser;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, [Out] byte[] buffer);

    [LibraryImport("libc")]
    private static partial uint geteuid();
}
