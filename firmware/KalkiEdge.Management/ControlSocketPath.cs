using System.Net.Sockets;
using KalkiEdge.DataPlane.Io;

namespace KalkiEdge.Management;

/// <summary>
/// Prepares the filesystem side of the operator's control socket. The socket is the authentication: its
/// directory is 0700 and the socket 0600, so only the appliance's own user (and root) can connect. Both ends check
/// the directory's owner too: under a shared temporary directory another local user could create it first, place
/// their own socket there and serve forged answers to the operator's commands.
/// </summary>
internal static class ControlSocketPath
{
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode GroupOrOtherWrite = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;

    /// <summary>Null when the path is ready to bind; otherwise why it is not (another appliance answers, unsafe directory).</summary>
    public static string? Prepare(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return "Unix socket permissions are needed to authenticate the operator";
        }

        var directory = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory, OwnerOnlyDirectory);
        }
        else if (DirectoryProblem(directory) is { } problem)
        {
            return $"{problem}; refusing to place the control socket there";
        }

        if (!File.Exists(path))
        {
            return null;
        }

        if (ServedBy(path) is { } other)
        {
            return $"another kalki-edge already serves {path} ({other})";
        }

        File.Delete(path); // left by a process that was killed
        return null;
    }

    /// <summary>
    /// The client's check before it connects: null when the socket and its directory belong to this user or root and
    /// nobody else can replace the socket; otherwise why its answers cannot be trusted. A missing socket is left to
    /// the connect, which says that no appliance is running.
    /// </summary>
    public static string? Untrusted(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return "Unix socket permissions are needed to authenticate the appliance";
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(directory))
        {
            return null;
        }

        if (DirectoryProblem(directory) is { } problem)
        {
            return $"{problem}; its socket could be anyone's";
        }

        return PosixFileStatus.Of(path) is { OwnedByUsOrRoot: false } socket
            ? $"{path} is owned by uid {socket.Owner}, not by this user (uid {PosixFileStatus.EffectiveUser}) or root"
            : null;
    }

    /// <summary>After binding: owner read/write only.</summary>
    public static void Restrict(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    /// <summary>Why a socket in this directory could be someone else's: a foreign owner, a link, or write access for others.</summary>
    private static string? DirectoryProblem(string directory)
    {
        if (PosixFileStatus.Of(directory) is not { IsDirectory: true } status)
        {
            return $"{directory} is not a directory (a symbolic link is not followed)";
        }

        if (!status.OwnedByUsOrRoot)
        {
            return $"directory {directory} is owned by uid {status.Owner}, not by this user (uid {PosixFileStatus.EffectiveUser}) or root";
        }

        var mode = status.Permissions;
        // Anyone who can write the directory could swap the socket for their own, unless it is sticky like /tmp.
        return (mode & GroupOrOtherWrite) != 0 && (mode & UnixFileMode.StickyBit) == 0
            ? $"directory {directory} is writable by others"
            : null;
    }

    /// <summary>
    /// The process that answers on <paramref name="path"/> now, as the kernel names it (SO_PEERCRED), or null when
    /// nothing does (no file, a stale socket left by a killed process, not a socket).
    /// </summary>
    public static string? ServedBy(string path)
    {
        if (OperatingSystem.IsWindows() || !File.Exists(path))
        {
            return null;
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return PeerCredentials.Of(probe) is { } peer ? $"pid {peer.Pid}, uid {peer.Uid}" : "a process the kernel does not name";
        }
        catch (SocketException)
        {
            return null;
        }
    }
}
