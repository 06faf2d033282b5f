using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using KalkiEdge.Appliance.Packs;

namespace KalkiEdge.UnitTests.Management;

/// <summary>
/// POST /api/packs through the real HTTP pipeline: a new device type from YAML, checked by the same pack checker,
/// saved under the data directory, usable by Add device at once, exported as it was imported, and still there
/// after a restart; a refused import leaves the packs and the data directory as they were.
/// </summary>
public class PackImportTests : ManagementAppFixture
{
    private const string Sensor = """
        # Imported from a file.
        type: lab-sensor
        description: Lab sensor (imported)
        states: [Normal, Suspicious]
        initial: Normal
        chains: {Normal: camera-normal, Suspicious: camera-strict}
        rules:
          - {name: scanned, from: Normal, to: Suspicious, priority: 10, window: 1min, when: {alert: port-scan}}

        """;

    private string PacksDir => EditedPacks.Directory(Path.Combine(_dir, "data"));

    [Test]
    public async Task A_new_type_is_saved_usable_by_add_device_at_once_exported_as_imported_audited_and_kept_after_a_restart()
    {
        using var browser = await _app.SignedInAsync();

        var imported = await browser.PostAsJsonAsync("/api/packs", new { yaml = Sensor });

        Assert.That(imported.StatusCode, Is.EqualTo(HttpStatusCode.Created), await imported.Content.ReadAsStringAsync());
        Assert.That((await imported.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString(), Is.EqualTo("lab-sensor"));
        var listed = await browser.GetFromJsonAsync<JsonElement>("/api/packs");
        Assert.That(listed.EnumerateArray().Select(p => p.GetProperty("name").GetString()), Does.Contain("lab-sensor"));
        Assert.That(await browser.GetStringAsync("/api/packs/lab-sensor/export"), Is.EqualTo(Sensor));
        Assert.That(File.ReadAllText(EditedPacks.FileFor(Path.Combine(_dir, "data"), "lab-sensor")), Is.EqualTo(Sensor));
        Assert.That(_app.Site.Appliance.Store!.Store.Column("SELECT action FROM audit_log WHERE action LIKE 'pack-%'"), Is.EqualTo(new[] { "pack-import" }));

        var added = await browser.PostAsJsonAsync("/api/devices", new { name = "sensor1", type = "lab-sensor", mac = "02:00:00:00:07:31", ips = new[] { "192.0.2.131" } });
        Assert.That(added.StatusCode, Is.EqualTo(HttpStatusCode.Created), await added.Content.ReadAsStringAsync());
        Assert.That(_app.Site.Appliance.Control.Devices["sensor1"].State, Is.EqualTo("Normal"));
        Assert.That(Chain("sensor1"), Is.EqualTo("camera-normal"), "the new type's chain is in force from the next frame");

        _app.Site.Restart();
        Assert.That(_app.Site.Appliance.Packs.Select(p => p.Name), Does.Contain("lab-sensor"));
        Assert.That(Chain("sensor1"), Is.EqualTo("camera-normal"), "the runtime device of the imported type is back");
    }

    [Test]
    public async Task Importing_a_type_that_exists_replaces_it_like_the_policy_editor()
    {
        using var browser = await _app.SignedInAsync();
        var shipped = File.ReadAllText(Path.Combine(RepoPaths.Umboxes, "packs", "dlink-camera.yaml"));

        var replaced = await browser.PostAsJsonAsync("/api/packs", new { yaml = shipped.Replace("  Normal: camera-normal", "  Normal: camera-strict", StringComparison.Ordinal) });

        Assert.That(replaced.StatusCode, Is.EqualTo(HttpStatusCode.OK), await replaced.Content.ReadAsStringAsync());
        Assert.That(Chain("cam1"), Is.EqualTo("camera-strict"));
        Assert.That(_app.Site.Appliance.Store!.Store.Column("SELECT action FROM audit_log WHERE action LIKE 'pack-%'"), Is.EqualTo(new[] { "pack-edit" }));
    }

    [TestCase("type: lab-sensor\nstates: [Normal\n", "yaml", 3, "YAML syntax")]
    [TestCase("type: lab-sensor\nstates: [Normal]\ninitial: Normal\nchains: {Normal: camera-nromal}\n", "yaml", 4, "uses image 'camera-nromal', which does not exist")]
    [TestCase("type: ../../etc/evil\nstates: [Normal]\ninitial: Normal\nchains: {Normal: camera-normal}\n", "yaml", 1, "cannot name a new device type")]
    [TestCase("type: lab-sensor\nstates: [Normal, Lost]\ninitial: Normal\nchains: {Normal: camera-normal, Lost: block-all}\n", "yaml", 0, "Lost")]
    public async Task A_refused_import_gets_422_with_line_and_column_and_leaves_nothing_behind(string yaml, string field, int line, string reason)
    {
        using var browser = await _app.SignedInAsync();
        var before = _app.Site.Appliance.Packs;

        var response = await browser.PostAsJsonAsync("/api/packs", new { yaml });

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var fields = body.GetProperty("fields").EnumerateArray().ToList();
        Assert.That(string.Join("\n", fields.Select(f => f.GetProperty("message").GetString())), Does.Contain(reason));
        Assert.That(fields.Select(f => f.GetProperty("field").GetString()), Has.All.EqualTo(field));
        if (line > 0)
        {
            Assert.That(fields.Select(f => f.TryGetProperty("line", out var l) ? l.GetInt32() : 0), Does.Contain(line));
            Assert.That(fields.Where(f => f.TryGetProperty("line", out _)).Select(f => f.GetProperty("column").GetInt32()), Has.All.GreaterThan(0));
        }

        Assert.That(_app.Site.Appliance.Packs, Is.SameAs(before), "the packs in force are untouched");
        Assert.That(Directory.Exists(PacksDir) ? Directory.GetFiles(PacksDir) : [], Is.Empty, "nothing half-saved");
        Assert.That((await browser.PostAsJsonAsync("/api/devices", new { name = "sensor1", type = "lab-sensor", mac = "02:00:00:00:07:31", ips = new[] { "192.0.2.131" } })).StatusCode,
            Is.EqualTo(HttpStatusCode.UnprocessableEntity), "no device can name a refused type");
    }

    [Test]
    public async Task Malformed_bodies_bad_utf8_and_imports_without_the_antiforgery_header_are_refused()
    {
        using var browser = await _app.SignedInAsync();
        var badUtf8 = new ByteArrayContent([.. "{\"yaml\": \"type: x"u8, 0xC3, 0x28, .. "\"}"u8]);
        badUtf8.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        Assert.That((await browser.PostAsync("/api/packs", badUtf8)).StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await browser.PostAsync("/api/packs", ManagementApp.Json(new string('[', 5000)))).StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var surrogate = await browser.PostAsync("/api/packs", ManagementApp.Json("{\"yaml\": \"type: lab-sensor\\nstates: [Normal]\\n# \\ud800\\n\"}"));
        Assert.That(surrogate.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "an unpaired surrogate is no text: refused as JSON, before any pack is read");
        Assert.That(await surrogate.Content.ReadAsStringAsync(), Does.Contain("invalid JSON at $.yaml"));
        Assert.That((await browser.PostAsJsonAsync("/api/packs", new { yaml = Sensor + "# " + new string('x', 100_000) })).StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));

        using var noCsrf = _app.Browser();
        await noCsrf.PostAsJsonAsync("/api/login", new { username = ManagementApp.Admin, password = ManagementApp.Password });
        Assert.That((await noCsrf.PostAsJsonAsync("/api/packs", new { yaml = Sensor })).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        using var anonymous = _app.Browser();
        Assert.That((await anonymous.PostAsJsonAsync("/api/packs", new { yaml = Sensor })).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(_app.Site.Appliance.Packs.Select(p => p.Name), Does.Not.Contain("lab-sensor"));
        Assert.That(Directory.Exists(PacksDir) ? Directory.GetFiles(PacksDir) : [], Is.Empty);
    }

    private string? Chain(string device) => _app.Site.Appliance.Engine.Devices.All.Single(d => d.Name == device).Chain?.Definition.Image;
}
