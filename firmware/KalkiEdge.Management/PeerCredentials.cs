using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace KalkiEdge.Management;

/// <summary>
/// Who is on the other end of a Unix socket, from the kernel (SO_PEERCRED), not from anything the client says:
/// the audit log names the operator's uid and pid.
/// </summary>
public readonly record struct PeerCredentials(int Pid, uint Uid, uint Gid)
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    public static PeerCredentials? Of(Socket? socket)
    {
        if (socket is null || socket.AddressFamily != AddressFamily.Unix)
        {
            return null;
        }

        Span<byte> ucred = stackalloc byte[12]; // struct ucred { pid_t pid; uid_t uid; gid_t gid; }, native byte order
        try
        {
            if (socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred) != ucred.Length)
            {
                return null;
            }
        }
        catch (SocketException)
        {
            return null;
        }

        return new PeerCredentials(
            MemoryMarshal.Read<int>(ucred),
            MemoryMarshal.Read<uint>(ucred[4..]),
            MemoryMarshal.Read<uint>(ucred[8..]));
    }

    public override string ToString() => $"uid {Uid} pid {Pid}";
}
