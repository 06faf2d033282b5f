using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using KalkiEdge.Appliance.Simulation;
using KalkiEdge.DataPlane;
using KalkiEdge.Panel;
using KalkiEdge.Panel.Fingerprinting;
using KalkiEdge.Panel.Mud;

namespace KalkiEdge.UnitTests.Management;

/// <summary>
/// /api/pairing through the real HTTP pipeline over the field panel's real pairing (the engine's unknown-source
/// hook, the fingerprinter, admission through the runtime device registry): window, candidates, accept, reject.
/// </summary>
public class PairingApiTests : ManagementAppFixture
{
    private const string NewMac = "02:00:00:00:09:01";
    private const string OtherMac = "02:00:00:00:09:02";

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;

    [Test]
    public async Task Without_a_panel_pairing_is_reported_off_and_cannot_be_opened()
    {
        using var browser = await _app.SignedInAsync();
        Assert.That((await browser.GetFromJsonAsync<JsonElement>("/api/pairing")).GetProperty("available").GetBoolean(), Is.False);
        Assert.That((await browser.PostAsync("/api/pairing/open", null)).StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That((await browser.PostAsync($"/api/pairing/candidates/{NewMac}/accept", null)).StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
    }

    [Test]
    public async Task The_dashboard_opens_the_window_sees_candidates_live_accepts_one_rejects_another_and_closes_it()
    {
        _app.Site.Appliance.EnablePairing(PairingSettings.Default);
        using var browser = await _app.SignedInAsync();
        using var live = await _app.SignedInAsync();
        using var stream = new StreamReader(await live.GetStreamAsync("/api/events"));
        Assert.That(await stream.ReadLineAsync(), Is.EqualTo(": connected"));
        var closed = await browser.GetFromJsonAsync<JsonElement>("/api/pairing");
        Assert.That((closed.GetProperty("available").GetBoolean(), closed.GetProperty("open").GetBoolean()), Is.EqualTo((true, false)));

        var opened = await (await browser.PostAsync("/api/pairing/open", null)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(opened.GetProperty("open").GetBoolean(), Is.True);
        Assert.That(opened.GetProperty("remainingSeconds").GetInt32(), Is.InRange(100, 120));
        Assert.That(_app.Site.Appliance.Pairing!.Window.IsOpen(Now), Is.True, "the panel's own window is open");

        Assert.That(_app.Site.FromDevice(NewMac, "192.0.2.91", Now), Is.EqualTo(Verdict.Drop), "a candidate is an unknown device until admitted");
        _app.Site.FromDevice(OtherMac, "192.0.2.92", Now);
        Assert.That(await NextEvent(stream), Is.EqualTo("pairing"), "a new candidate is pushed to the dashboards");
        var candidates = (await browser.GetFromJsonAsync<JsonElement>("/api/pairing")).GetProperty("candidates").EnumerateArray().ToList();
        Assert.That(candidates.Select(c => c.GetProperty("mac").GetString()), Is.EquivalentTo(new[] { NewMac, OtherMac }));
        Assert.That(candidates[0].GetProperty("pack").GetString(), Is.EqualTo("generic-iot"), "a DNS query says nothing about the family");
        Assert.That(candidates[0].GetProperty("needsReview").GetBoolean(), Is.True);

        var accepted = await browser.PostAsync($"/api/pairing/candidates/{NewMac}/accept", null);
        Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.OK), await accepted.Content.ReadAsStringAsync());
        var device = (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("device").GetString()!;
        Assert.That(_app.Site.Appliance.Registry.Find(device)?.Spec.Mac, Is.EqualTo(NewMac));
        var listed = (await browser.GetFromJsonAsync<JsonElement>("/api/devices")).EnumerateArray().ToDictionary(d => d.GetProperty("name").GetString()!, d => d.GetProperty("needsReview").GetBoolean());
        Assert.That(listed[device], Is.True, "the dashboard flags the generic device for review");
        Assert.That(listed.Where(d => d.Key != device).Select(d => d.Value), Has.None.True, "and no device of the site config");
        _app.Site.FromDevice(NewMac, "192.0.2.91", Now);
        var slot = _app.Site.Appliance.Engine.Devices.All.Single(d => d.Name == device);
        Assert.That(slot.Counters.FromDeviceFrames, Is.EqualTo(1), "its next frame is attributed to the admitted device");

        Assert.That((await browser.PostAsync($"/api/pairing/candidates/{OtherMac}/reject", null)).StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That((await browser.PostAsync($"/api/pairing/candidates/{OtherMac}/accept", null)).StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "a rejected MAC is no candidate");
        _app.Site.FromDevice(OtherMac, "192.0.2.92", Now);
        _app.Site.Appliance.Pairing.Settle(Now + 3_600_000_000);
        Assert.That(_app.Site.Appliance.Registry.List().Any(d => d.Spec.Mac == OtherMac), Is.False, "a rejected device stays unknown");

        var state = await browser.GetFromJsonAsync<JsonElement>("/api/pairing");
        Assert.That(state.GetProperty("candidates").GetArrayLength(), Is.Zero);
        Assert.That(state.GetProperty("recent")[0].GetProperty("device").GetString(), Is.EqualTo(device));
        Assert.That((await (await browser.PostAsync("/api/pairing/close", null)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("open").GetBoolean(), Is.False);

        _app.Site.Appliance.Store!.Writer.Flush(TimeSpan.FromSeconds(10));
        var audit = await browser.GetFromJsonAsync<JsonElement>("/api/audit?limit=20");
        Assert.That(audit.EnumerateArray().Where(a => a.GetProperty("actor").GetString() == "admin via dashboard").Select(a => a.GetProperty("action").GetString()),
            Is.SupersetOf(new[] { "pairing-open", "pairing-accept", "pairing-reject", "pairing-close" }));
    }

    [TestCase("not-a-mac", HttpStatusCode.BadRequest)]
    [TestCase("02:00:00:00:09:99", HttpStatusCode.NotFound)]
    public async Task Accepting_a_bad_or_unknown_MAC_is_refused_with_the_reason(string mac, HttpStatusCode status)
    {
        _app.Site.Appliance.EnablePairing(PairingSettings.Default);
        using var browser = await _app.SignedInAsync();
        var response = await browser.PostAsync($"/api/pairing/candidates/{mac}/accept", null);
        Assert.That(response.StatusCode, Is.EqualTo(status));
        Assert.That((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), Does.Contain(mac));

        using var noCsrf = _app.Browser();
        await noCsrf.PostAsJsonAsync("/api/login", new { username = ManagementApp.Admin, password = ManagementApp.Password });
        Assert.That((await noCsrf.PostAsync("/api/pairing/open", null)).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(_app.Site.Appliance.Pairing!.Window.IsOpen(Now), Is.False);
    }

    /// <summary>
    /// The administrator names the MUD URL of a device that announces none: accepted with it, the device's file
    /// (from the site's MUD folder) becomes its allow-list and is kept with it. A URL that is not https, or one named
    /// while the site has no MUD source, is refused before the candidate is touched.
    /// </summary>
    [Test]
    public async Task An_administrator_names_a_candidates_mud_url_as_they_accept_it()
    {
        const string url = "https://udoo.example.com/mud/neo";
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "mud")).FullName;
        File.WriteAllText(Path.Combine(folder, "neo.json"), Panel.MudAllowListTests.Neo(url));
        var first = new KalkiEdge.Appliance.Simulation.Host("udoo", "00:c0:08:9a:bc:01", "192.0.2.93");
        var udoo = first with { Mac = "00:c0:08:9a:bc:02" }; // the engine offers a MAC as new only once
        var accept = $"/api/pairing/candidates/{udoo.Mac}/accept";
        using var browser = await _app.SignedInAsync();

        _app.Site.Appliance.EnablePairing(PairingSettings.Default);
        await browser.PostAsync("/api/pairing/open", null);
        _app.Site.FromDevice(first.Mac, first.Ip, Now); // a DNS query: a candidate that waits for more evidence
        var off = await browser.PostAsJsonAsync($"/api/pairing/candidates/{first.Mac}/accept", new { mud = url });
        Assert.That(off.StatusCode, Is.EqualTo(HttpStatusCode.Conflict), "no MUD source: nothing could read the file");
        Assert.That((await off.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), Does.Contain("no 'mud' section"));
        Assert.That(_app.Site.Appliance.Pairing!.Pending(), Has.Count.EqualTo(1), "the candidate still waits");

        _app.Site.Appliance.EnablePairing(PairingSettings.Default, new MudSource(new MudSettings(folder, false, null, null, TimeSpan.FromSeconds(5))));
        await browser.PostAsync("/api/pairing/open", null);
        Boot(udoo);
        // Each refusal says why in words, in the field's entry the dashboard shows under the MUD URL field.
        foreach (var (bad, why) in new[]
        {
            ("http://udoo.example.com/mud/neo", "'http://udoo.example.com/mud/neo' is not an https URL: it is http, and MUD URLs are https only (RFC 8520 section 8)"),
            ("https://" + new string('a', Evidence.MaxUrl), $"is not an https URL: it is {Evidence.MaxUrl + 8} characters long, and a MUD URL has at most {Evidence.MaxUrl}"),
            ("neo.json", "'neo.json' is not an https URL: it is not a whole URL (a MUD URL reads https://HOST/PATH)"),
            ("https://udoo.example.com/mud/n\u00e9o", "it holds a space, a control character or a non-ASCII character"),
        })
        {
            var refused = await browser.PostAsJsonAsync(accept, new { mud = bad });
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), bad);
            var field = (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("fields").EnumerateArray().Single();
            Assert.That(field.GetProperty("field").GetString(), Is.EqualTo("mud"));
            Assert.That(field.GetProperty("message").GetString(), Does.Contain(why), bad);
        }

        var accepted = await browser.PostAsJsonAsync(accept, new { mud = url });
        Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.OK), await accepted.Content.ReadAsStringAsync());
        var paired = await accepted.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(paired.GetProperty("pack").GetString(), Is.EqualTo("udoo-neo"), paired.ToString());
        var device = paired.GetProperty("device").GetString()!;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (_app.Site.Appliance.Registry.MudOf(device) is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20); // the file is resolved off the request, as for a device that announced it
        }

        Assert.That(_app.Site.Appliance.Registry.MudOf(device)?.Url, Is.EqualTo(url), "the named file is kept with the device");
        var detail = await browser.GetFromJsonAsync<JsonElement>($"/api/devices/{device}");
        Assert.That(detail.GetProperty("mud").GetString(), Is.EqualTo(url), "the device's page names the file in force");
        Assert.That(_app.Site.Appliance.Engine.Devices.All.Single(d => d.Name == device).Chain!.Definition.Text, Does.EndWith($"[egress-guard allow-list from MUD {url}]"));
    }

    /// <summary>
    /// The device's DHCP discover, as a Udoo Neo sends it at boot, through the engine: its MAC becomes a candidate
    /// whose evidence names its family. The frame loop's settling is left out: the administrator accepts first.
    /// </summary>
    private void Boot(KalkiEdge.Appliance.Simulation.Host device)
    {
        var frame = new Frame();
        var discover = PairingTraffic.Dhcp(PairingTraffic.UdooNeo, device, messageType: 1);
        frame.Load(PacketFactory.Udp(device with { Ip = "0.0.0.0" }, new KalkiEdge.Appliance.Simulation.Host("broadcast", "ff:ff:ff:ff:ff:ff", "255.255.255.255"), 68, 67, discover), Now, Direction.FromDevice);
        _app.Site.Appliance.BeginFrame(Now);
        _app.Site.Appliance.Engine.Process(frame, _app.Site.Context);
    }

    private static async Task<string> NextEvent(StreamReader stream)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var line = await stream.ReadLineAsync(timeout.Token);
            if (line?.StartsWith("event: ", StringComparison.Ordinal) == true)
            {
                return line["event: ".Length..];
            }
        }
    }
}
