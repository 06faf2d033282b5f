using System.Net.Sockets;

namespace KalkiEdge.Management;

/// <summary>
/// Prepares the filesystem side of the operator's control socket. The socket is the authentication: its
/// directory is 0700 and the socket 0600, so only the appliance's own user (and root) can connect.
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
        else if ((File.GetUnixFileMode(directory) & GroupOrOtherWrite) != 0 && (File.GetUnixFileMode(directory) & UnixFileMode.StickyBit) == 0)
        {
            // Anyone who can write the directory could swap the socket for their own and collect operator requests.
            return $"directory {directory} is writable by others; refusing to place the control socket there";
        }

        if (!File.Exists(path))
        {
            return null;
        }

        if (Answers(path))
        {
            return $"another kalki-edge already serves {path}";
        }

        File.Delete(path); // left by a process that was killed
        return null;
    }

    /// <summary>After binding: owner read/write only.</summary>
    public static void Restrict(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    private static bool Answers(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
