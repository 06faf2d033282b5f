using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using KalkiEdge.Devices.Http;

namespace KalkiEdge.Devices.Simulators;

/// <summary>
/// A Philips Hue bridge on loopback speaking its REST API v1: <c>GET /api/USER/lights</c> and <c>/config</c>,
/// <c>PUT /api/USER/lights/ID/state</c>; a wrong user gets the bridge's own HTTP 200 "unauthorized user" error.
/// </summary>
public sealed class HueSimulator : IDisposable
{
    private readonly SmallHttpServer _server;
    private readonly Lock _sync = new();
    private readonly (bool On, bool Reachable)[] _lights;

    public HueSimulator(string user, int lights = 3, IPAddress? address = null, int port = 0)
    {
        User = user;
        _lights = [.. Enumerable.Repeat((true, true), lights)];
        _server = new SmallHttpServer(Handle, address, port);
    }

    public string User { get; }

    public int Port => _server.Port;

    public int Requests => _server.Requests;

    /// <summary>Set to answer every request with this instead (hostile-device tests).</summary>
    public Func<SmallRequest, SmallResponse?>? Override { get; set; }

    public int LightsOn
    {
        get
        {
            lock (_sync)
            {
                return _lights.Count(l => l.On);
            }
        }
    }

    public void SetLight(int index, bool on, bool reachable = true)
    {
        lock (_sync)
        {
            _lights[index] = (on, reachable);
        }
    }

    public void Dispose() => _server.Dispose();

    private SmallResponse Handle(SmallRequest request)
    {
        if (Override?.Invoke(request) is { } hostile)
        {
            return hostile;
        }

        var parts = request.Path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 3 || parts[0] != "api")
        {
            return new SmallResponse(404, "[]");
        }

        if (parts[1] != User)
        {
            return new SmallResponse(200, $"[{{\"error\":{{\"type\":1,\"address\":\"/{parts[2]}\",\"description\":\"unauthorized user\"}}}}]");
        }

        lock (_sync)
        {
            return (request.Method, parts[2..]) switch
            {
                ("GET", ["config"]) => new SmallResponse(200, "{\"name\":\"Hue simulator\",\"apiversion\":\"1.50.0\",\"swversion\":\"1950207110\"}"),
                ("GET", ["lights"]) => new SmallResponse(200, Lights()),
                ("PUT", ["lights", var id, "state"]) => SetState(id, request.Body),
                _ => new SmallResponse(200, "[{\"error\":{\"type\":3,\"description\":\"resource not available\"}}]"),
            };
        }
    }

    private string Lights()
    {
        var json = new StringBuilder("{");
        for (int i = 0; i < _lights.Length; i++)
        {
            json.Append(CultureInfo.InvariantCulture, $"{(i > 0 ? "," : "")}\"{i + 1}\":{{\"state\":{{\"on\":{(_lights[i].On ? "true" : "false")},\"bri\":254,\"reachable\":{(_lights[i].Reachable ? "true" : "false")}}},\"name\":\"Light {i + 1}\",\"type\":\"Extended color light\"}}");
        }

        return json.Append('}').ToString();
    }

    private SmallResponse SetState(string id, string body)
    {
        if (!int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1 || n > _lights.Length)
        {
            return new SmallResponse(200, $"[{{\"error\":{{\"type\":3,\"address\":\"/lights/{n}\",\"description\":\"resource, /lights/{n}, not available\"}}}}]");
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.TryGetProperty("on", out var on) && on.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                _lights[n - 1] = (on.GetBoolean(), _lights[n - 1].Reachable);
                return new SmallResponse(200, $"[{{\"success\":{{\"/lights/{n}/state/on\":{(on.GetBoolean() ? "true" : "false")}}}}}]");
            }
        }
        catch (JsonException)
        {
            // Answered below as the bridge does.
        }

        return new SmallResponse(200, "[{\"error\":{\"type\":2,\"description\":\"body contains invalid json\"}}]");
    }
}
