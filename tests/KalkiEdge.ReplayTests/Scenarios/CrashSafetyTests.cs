using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using KalkiEdge.Appliance.Config;

namespace KalkiEdge.ReplayTests.Scenarios;

/// <summary>
/// kill -9 of a running <c>kalki-edge run</c> while it writes: the EVE file, and the runtime device registry through
/// the management API. Seeded random moments, several lives on the same files; after each, what a consumer reads is
/// whole and nothing acknowledged is lost.
/// </summary>
public partial class CrashSafetyTests
{
    private const string Password = "correct horse battery";

    [Test]
    [Explicit("Resets start a CLI process each; on a loaded machine none lands before the kill. Drive the events in process first.")]
    public async Task Kill_9_while_events_stream_into_the_eve_file_never_leaves_a_line_that_breaks_a_consumer()
    {
        using var dir = new TempDir();
        var camera = PackScenarios.Device("dlink-camera");
        var socket = dir.File("ctl.sock");
        var config = WriteConfig(dir, camera, socket);
        var eve = dir.File("eve.json");
        var random = new Random(1205);
        var table = new List<string> { "life | resets acknowledged | killed after | eve lines | torn bytes planted" };
        for (int life = 1; life <= 5; life++)
        {
            // Life 3 starts on a file whose last line was torn (as power loss leaves it): the start cuts it off.
            var planted = life == 3 && File.Exists(eve) ? PlantTornLine(eve) : 0;
            int acknowledged;
            var killAfter = random.Next(3000, 8000); // resets start a process each: a few land before the kill
            using (var appliance = RunningAppliance.Start(a => a.Printed("management server on http://"), "--config", config))
            {
                // Operator resets through the control socket (each one an EVE line) until the kill lands.
                var resets = Task.Run(() => ResetUntilKilled(config, camera.Host.Name));
                Thread.Sleep(killAfter);
                appliance.Kill();
                acknowledged = await resets;
            }

            var lines = File.ReadAllLines(eve);
            Assert.That(lines.Where(l => !IsJsonObject(l)), Is.Empty, $"life {life}: every line of the EVE file is a whole JSON object");
            Assert.That(acknowledged, Is.GreaterThan(0), $"life {life}: the appliance accepted resets before the kill");
            table.Add($"{life} | {acknowledged} | {killAfter} ms | {lines.Length} | {planted}");
        }

        TestContext.Out.WriteLine(string.Join('\n', table));
    }

    [Test]
    public async Task Kill_9_while_devices_are_added_and_changed_loses_no_acknowledged_change_and_applies_none_by_half()
    {
        using var dir = new TempDir();
        var camera = PackScenarios.Device("dlink-camera");
        var config = WriteConfig(dir, camera, dir.File("ctl.sock"));
        var random = new Random(1206);
        var acknowledged = new Dictionary<string, int>(); // device → last acknowledged revision
        var table = new List<string> { "life | changes acknowledged | killed after | devices after restart" };
        for (int life = 1; life <= 4; life++)
        {
            var killAfter = random.Next(300, 3000);
            int before = acknowledged.Values.Sum() + acknowledged.Count;
            using (var appliance = RunningAppliance.Start(a => a.Printed("management server on http://"), "--config", config))
            {
                using var api = await SignInAsync(appliance);
                await ChangeDevicesUntilAsync(api, life, acknowledged, TimeSpan.FromMilliseconds(killAfter));
                appliance.Kill();
            }

            using (var appliance = RunningAppliance.Start(a => a.Printed("management server on http://"), "--config", config))
            {
                using var api = await SignInAsync(appliance);
                foreach (var (name, revision) in acknowledged)
                {
                    var detail = await api.GetFromJsonAsync<JsonElement>(new Uri($"/api/devices/{name}", UriKind.Relative));
                    var description = detail.GetProperty("description").GetString()!;
                    var group = detail.GetProperty("group").GetString()!;
                    var rev = int.Parse(description["rev ".Length..], System.Globalization.CultureInfo.InvariantCulture);
                    Assert.That(group, Is.EqualTo($"g{rev}"), $"life {life}: {name} has its description and group from one change");
                    Assert.That(rev, Is.GreaterThanOrEqualTo(revision), $"life {life}: {name} keeps its acknowledged change {revision}");
                    acknowledged[name] = rev; // an unacknowledged change may have been committed just before the kill
                }

                table.Add($"{life} | {acknowledged.Values.Sum() + acknowledged.Count - before} | {killAfter} ms | {acknowledged.Count} checked");
                appliance.Kill();
            }
        }

        Assert.That(acknowledged, Is.Not.Empty);
        TestContext.Out.WriteLine(string.Join('\n', table));
    }

    private static string WriteConfig(TempDir dir, ScenarioDevice device, string socket)
    {
        var config = dir.File("site.yaml");
        File.WriteAllText(config, PackScenarios.SiteConfig(SiteConfigLoader.DefaultUmboxesDir(), [device])
            + $"data-dir: {dir.File("data")}\nmanagement: {{listen: \"127.0.0.1:0\", control-socket: {socket}}}\neve: {{file: eve.json}}\n");
        return config;
    }

    /// <summary>`kalki-edge reset` over the control socket, one after another, until one fails (the appliance is gone).</summary>
    private static int ResetUntilKilled(string config, string device)
    {
        int acknowledged = 0;
        for (int i = 0; i < 1000; i++)
        {
            var r = KalkiEdgeCli.Run("reset", "--device", device, "--reason", $"crash test {i}", "--config", config);
            if (r.ExitCode != 0)
            {
                return acknowledged;
            }

            acknowledged++;
        }

        return acknowledged;
    }

    /// <summary>Adds devices and changes them (description and group together) until the time is up.</summary>
    private static async Task ChangeDevicesUntilAsync(HttpClient api, int life, Dictionary<string, int> acknowledged, TimeSpan duration)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; clock.Elapsed < duration && i < 200; i++)
        {
            var name = $"plug-{life}-{i}";
            var added = await api.PostAsJsonAsync(new Uri("/api/devices", UriKind.Relative), Body(name, life, i, 0));
            Assert.That(added.StatusCode, Is.EqualTo(HttpStatusCode.Created), await added.Content.ReadAsStringAsync());
            acknowledged[name] = 0;
            foreach (var (other, revision) in acknowledged.Where(a => a.Key.StartsWith($"plug-{life}-", StringComparison.Ordinal)).Take(3).ToList())
            {
                var (l, n) = Parse(other);
                var changed = await api.PutAsJsonAsync(new Uri($"/api/devices/{other}", UriKind.Relative), Body(other, l, n, revision + 1));
                Assert.That(changed.StatusCode, Is.EqualTo(HttpStatusCode.OK), await changed.Content.ReadAsStringAsync());
                acknowledged[other] = revision + 1;
            }
        }
    }

    private static object Body(string name, int life, int i, int revision) => new
    {
        name,
        type = "generic-iot",
        mac = $"02:aa:00:{life:x2}:{i / 256:x2}:{i % 256:x2}",
        ips = new[] { $"198.51.{100 + life}.{i % 250 + 1}" },
        description = $"rev {revision}",
        group = $"g{revision}",
    };

    private static (int Life, int I) Parse(string name)
    {
        var parts = name.Split('-');
        return (int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Setup (first life, with the printed one-time link) or sign-in, then the antiforgery header.</summary>
    private static async Task<HttpClient> SignInAsync(RunningAppliance appliance)
    {
        var address = new Uri(HttpAddress().Match(appliance.Output).Value);
        var api = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        if (SetupToken().Match(appliance.Output) is { Success: true } token)
        {
            var setup = await api.PostAsJsonAsync(new Uri("/api/setup", UriKind.Relative), new { username = "admin", password = Password, token = token.Groups[1].Value });
            Assert.That(setup.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), await setup.Content.ReadAsStringAsync());
        }

        var login = await api.PostAsJsonAsync(new Uri("/api/login", UriKind.Relative), new { username = "admin", password = Password });
        Assert.That(login.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), await login.Content.ReadAsStringAsync());
        var session = await api.GetFromJsonAsync<JsonElement>(new Uri("/api/session", UriKind.Relative));
        api.DefaultRequestHeaders.Add("X-CSRF-TOKEN", session.GetProperty("antiforgeryToken").GetString());
        return api;
    }

    private static long PlantTornLine(string eve)
    {
        var last = File.ReadAllLines(eve).LastOrDefault() ?? "{\"event_type\":\"alert\"}";
        var torn = last[..(last.Length / 2)];
        File.AppendAllText(eve, torn);
        return torn.Length;
    }

    private static bool IsJsonObject(string line)
    {
        try
        {
            return JsonDocument.Parse(line).RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"http://127\.0\.0\.1:\d+")]
    private static partial Regex HttpAddress();

    [GeneratedRegex(@"setup\?token=([A-Za-z0-9_\-]+)")]
    private static partial Regex SetupToken();
}
