using System.Text.Json;
using KalkiEdge.Core.Policy;
using KalkiEdge.DataPlane;
using KalkiEdge.Devices.Http;
using KalkiEdge.Devices.Monitoring;

namespace KalkiEdge.Devices.Hue;

/// <summary>
/// Philips Hue bridge (REST API v1): polls <c>GET /api/USER/lights</c> — every light, not only the first — for
/// <c>lights-on</c> (how many are on) and <c>reachable</c> (all of them reachable), and <c>GET /api/USER/config</c>
/// for <c>api-version</c>; <c>lights-off</c> / <c>lights-on</c> put <c>{"on": …}</c> to every light's state. The
/// user (API token) is the device's <c>credentials.user</c>; messages never contain it.
/// </summary>
public sealed class HueMonitor(MonitorTarget target) : DeviceMonitor(target)
{
    public const string Family = "hue";

    /// <summary>A bridge holds at most 63 lights; more is a hostile answer.</summary>
    private const int MaxLights = 64;

    public override IReadOnlyList<SensorOutput> Produces { get; } =
        [new("lights-on", ValueKind.Int), new("reachable", ValueKind.Bool), new("api-version", ValueKind.String)];

    public override IReadOnlyList<string> Commands { get; } = ["lights-off", "lights-on"];

    public static DeviceMonitor? Compile(ElementArgs args, MonitorTarget target)
    {
        if (string.IsNullOrEmpty(target.User))
        {
            args.Error(args.At, $"device '{target.Device}': the Hue API needs a user: give the device 'credentials: {{user: TOKEN}}'");
            return null;
        }

        return new HueMonitor(target);
    }

    public override async Task<IReadOnlyList<Reading>> PollAsync(DeviceHttp http, CancellationToken token)
    {
        var lights = await Lights(http, token).ConfigureAwait(false);
        var config = await Get(http, "config", token).ConfigureAwait(false);
        using (config)
        {
            var root = config.RootElement;
            var version = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("apiversion", out var v) && v.ValueKind == JsonValueKind.String
                ? v.GetString()! : throw new DeviceProtocolException("/api/…/config: no \"apiversion\" string");
            return
            [
                new("lights-on", EvValue.Of(lights.Count(l => l.On))),
                new("reachable", EvValue.Of(lights.All(l => l.Reachable))),
                new("api-version", EvValue.Of(version)),
            ];
        }
    }

    public override async Task SendAsync(DeviceHttp http, string command, CancellationToken token)
    {
        var on = command switch
        {
            "lights-on" => true,
            "lights-off" => false,
            _ => throw Unsupported(Family, command),
        };
        foreach (var light in await Lights(http, token).ConfigureAwait(false))
        {
            using var request = DeviceHttp.Request(HttpMethod.Put, Target.Url($"/api/{Target.User}/lights/{light.Id}/state"), on ? "{\"on\":true}" : "{\"on\":false}");
            using var answer = JsonAnswer.Parse(await http.SendAsync(request, token).ConfigureAwait(false), $"PUT /api/…/lights/{light.Id}/state");
            ThrowOnError(answer.RootElement, $"lights/{light.Id}/state");
        }
    }

    private async Task<List<(string Id, bool On, bool Reachable)>> Lights(DeviceHttp http, CancellationToken token)
    {
        using var doc = await Get(http, "lights", token).ConfigureAwait(false);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new DeviceProtocolException($"/api/…/lights: expected an object of lights, got {root.ValueKind}");
        }

        var lights = new List<(string, bool, bool)>();
        foreach (var light in root.EnumerateObject())
        {
            if (lights.Count == MaxLights)
            {
                throw new DeviceProtocolException($"/api/…/lights: more than {MaxLights} lights");
            }

            if (light.Name.Length is 0 or > 8 || !light.Name.All(char.IsAsciiDigit))
            {
                throw new DeviceProtocolException("/api/…/lights: a light id is not a number");
            }

            if (light.Value.ValueKind != JsonValueKind.Object || !light.Value.TryGetProperty("state", out var state) || state.ValueKind != JsonValueKind.Object)
            {
                throw new DeviceProtocolException($"/api/…/lights: light {light.Name} has no state");
            }

            lights.Add((light.Name, Flag(state, "on", light.Name), Flag(state, "reachable", light.Name)));
        }

        return lights;
    }

    private async Task<JsonDocument> Get(DeviceHttp http, string resource, CancellationToken token)
    {
        using var request = DeviceHttp.Request(HttpMethod.Get, Target.Url($"/api/{Target.User}/{resource}"));
        var doc = JsonAnswer.Parse(await http.SendAsync(request, token).ConfigureAwait(false), $"GET /api/…/{resource}");
        try
        {
            ThrowOnError(doc.RootElement, resource);
            return doc;
        }
        catch
        {
            doc.Dispose();
            throw;
        }
    }

    /// <summary>A bridge reports errors as HTTP 200 with <c>[{"error": {"type": 1, "description": …}}]</c>.</summary>
    private static void ThrowOnError(JsonElement root, string resource)
    {
        if (root.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        foreach (var item in root.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("error", out var error))
            {
                var description = error.ValueKind == JsonValueKind.Object && error.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : "unknown";
                throw new DeviceProtocolException($"{resource}: the bridge refused: {Cut(description!)}");
            }
        }
    }

    private static bool Flag(JsonElement state, string name, string light) =>
        state.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? v.GetBoolean()
            : throw new DeviceProtocolException($"/api/…/lights: light {light} has no boolean \"{name}\"");

    private static string Cut(string text) => Core.Printable.Escape(text.Length <= 120 ? text : text[..120] + "…");
}
