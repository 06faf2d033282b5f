using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using KalkiEdge.DataPlane;
using KalkiEdge.Panel;

namespace KalkiEdge.UnitTests.Management;

/// <summary>
/// /api/pairing through the real HTTP pipeline over the field panel's real pairing (the engine's unknown-source
/// hook, the fingerprinter, admission through the runtime device registry): window, candidates, accept, reject.
/// </summary>
public class PairingApiTests
{
    private const string NewMac = "02:00:00:00:09:01";
    private const string OtherMac = "02:00:00:00:09:02";

    private string _dir = null!;
    private ManagementApp _app = null!;

    [SetUp]
    public async Task SetUp()
    {
        _dir = Directory.CreateTempSubdirectory("kalki-pairing-").FullName;
        _app = await ManagementApp.StartAsync(_dir);
    }

    [TearDown]
    public async Task TearDown()
    {
        await _app.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

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
