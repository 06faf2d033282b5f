using System.Net;
using KalkiEdge.Devices.Http;

namespace KalkiEdge.Devices.Simulators;

/// <summary>A device with a JSON status page on loopback (a Udoo Neo–class board): the body comes from <see cref="Status"/>.</summary>
public sealed class JsonDeviceSimulator : IDisposable
{
    private readonly SmallHttpServer _server;

    public JsonDeviceSimulator(Func<string> status, string path = "/status", IPAddress? address = null, int port = 0)
    {
        Status = status;
        _server = new SmallHttpServer(r => r.Method == "GET" && r.Path == path ? new SmallResponse(200, Status())
            : r.Method == "POST" ? Command(r.Path) : new SmallResponse(404, "{}"), address, port);
    }

    public Func<string> Status { get; set; }

    public int Port => _server.Port;

    /// <summary>Paths POSTed to (commands), in order.</summary>
    public IReadOnlyList<string> Commands
    {
        get
        {
            lock (_commands)
            {
                return [.. _commands];
            }
        }
    }

    private readonly List<string> _commands = [];

    public void Dispose() => _server.Dispose();

    private SmallResponse Command(string path)
    {
        lock (_commands)
        {
            _commands.Add(path);
        }

        return new SmallResponse(200, "{\"ok\":true}");
    }
}
