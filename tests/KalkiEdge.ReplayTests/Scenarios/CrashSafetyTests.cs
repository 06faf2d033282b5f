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
    public void Kill_9_while_events_stream_into_the_eve_file_leaves_no_torn_line_and_loses_no_line_already_written()
    {
        // Five lives on one EVE file. In each, operator resets stream in over the control socket (each one an EVE
        // line) and the process is killed at a seeded random moment once the file has grown by a seeded random
        // number of lines, so the kill lands while the writer is busy. What a consumer read as whole lines before
        // the kill is still there, in order, after the restart; whatever the kill left unfinished is cut at the
        // start, so no line is ever torn or glued to the next. Life 3 starts on a file whose last line was torn
        // (as power loss leaves it).
        using var dir = new TempDir();
        var camera = PackScenarios.Device("dlink-camera");
        var socket = dir.File("ctl.sock");
        var config = WriteConfig(dir, camera, socket);
        var eve = dir.File("eve.json");
        var random = new Random(1205);
        var read = new List<string>(); // whole lines a consumer read before the last kill
        var table = new List<string> { "life | resets acknowledged | lines grown before the kill | lines read | unfinished bytes after the kill | torn bytes planted" };
        for (int life = 1; life <= 5; life++)
        {
            var planted = life == 3 ? PlantTornLine(eve) : 0;
            int acknowledged;
            long unfinished;
            using (var appliance = RunningAppliance.Start(a => a.Printed("operator control socket on"), "--config", config))
            using (var client = new ControlSocketClient(socket, TimeSpan.FromSeconds(30)))
            {
                var atStart = WholeLines(eve);
                Assert.That(atStart.Where(l => !IsJsonObject(l)), Is.Empty, $"life {life}: every line is whole after the start");
                Assert.That(atStart.Take(read.Count), Is.EqualTo(read), $"life {life}: every line read before the kill is still there, in order");
                var grow = random.Next(20, 200);
                using var stop = new CancellationTokenSource();
                var resets = Task.Run(() => client.ResetUntil(camera.Host.Name, TimeSpan.Zero, stop.Token));
                WaitForLines(eve, atStart.Count + grow, appliance);
                Thread.Sleep(random.Next(0, 30));
                read = WholeLines(eve); // the consumer's last read: from here on these lines are acknowledged
                appliance.Kill();
                stop.Cancel();
                acknowledged = resets.Wait(TimeSpan.FromSeconds(60)) ? resets.Result : -1;
                Assert.That(acknowledged, Is.GreaterThan(0), $"life {life}: the appliance accepted resets before the kill");
                unfinished = new FileInfo(eve).Length - WholeBytes(eve);
                table.Add($"{life} | {acknowledged} | {grow} | {read.Count} | {unfinished} | {planted}");
            }
        }

        using (var last = RunningAppliance.Start(a => a.Printed("operator control socket on"), "--config", config))
        {
            Assert.That(WholeLines(eve).Take(read.Count), Is.EqualTo(read), "the last life keeps every line read before the last kill");
        }

        var final = File.ReadAllText(eve);
        Assert.That(final, Does.EndWith("\n"), "a stopped appliance leaves no unfinished line");
        Assert.That(final.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !IsJsonObject(l)), Is.Empty, "every line of the EVE file is a whole JSON object");
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

    /// <summary>Waits (at most 120 s) until the EVE file holds <paramref name="count"/> whole lines.</summary>
    private static void WaitForLines(string eve, int count, RunningAppliance appliance)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (WholeLines(eve).Count < count)
        {
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(120)), $"the EVE file did not reach {count} lines:\n{appliance.Output}");
            Thread.Sleep(20);
        }
    }

    /// <summary>The lines a consumer can read as finished: those ending with a newline.</summary>
    private static List<string> WholeLines(string eve)
    {
        if (!File.Exists(eve))
        {
            return [];
        }

        var text = File.ReadAllText(eve);
        return [.. text[..(text.LastIndexOf('\n') + 1)].Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    private static long WholeBytes(string eve)
    {
        var bytes = File.ReadAllBytes(eve);
        return Array.LastIndexOf(bytes, (byte)'\n') + 1;
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
        if (!File.Exists(eve))
        {
            return 0;
        }

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
