using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using KalkiEdge.Appliance.Packs;

namespace KalkiEdge.UnitTests.Management;

/// <summary>
/// PUT /api/packs/NAME through the real HTTP pipeline: the pack checker's verdict per error with its line and column,
/// nothing changed by a refusal, an accepted pack in force on the running devices at once and after a restart.
/// </summary>
public class PackEditingTests : ManagementAppFixture
{
    private const string Pack = "dlink-camera";

    private string _shipped = null!;

    [SetUp]
    public void ReadShippedPack()
    {
        _shipped = File.ReadAllText(Path.Combine(RepoPaths.Umboxes, "packs", Pack + ".yaml"));
    }

    private string EditedFile => EditedPacks.FileFor(Path.Combine(_dir, "data"), Pack);

    [Test]
    public async Task A_misspelt_state_is_refused_with_its_line_column_and_suggestion_and_the_policy_in_force_is_untouched()
    {
        using var browser = await _app.SignedInAsync();
        var before = _app.Site.Appliance.Control.Devices["cam1"].Pack;
        var response = await browser.PutAsJsonAsync($"/api/packs/{Pack}", new { yaml = _shipped.Replace("    to: Attack", "    to: Atack", StringComparison.Ordinal) });

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        var error = await response.Content.ReadFromJsonAsync<JsonElement>();
        var field = error.GetProperty("fields").EnumerateArray().Single();
        var misspeltLine = _shipped[.._shipped.IndexOf("    to: Attack", StringComparison.Ordinal)].Count(c => c == '\n') + 1;
        Assert.That((field.GetProperty("field").GetString(), field.GetProperty("line").GetInt32(), field.GetProperty("column").GetInt32()), Is.EqualTo(("yaml", misspeltLine, 9)));
        Assert.That(field.GetProperty("message").GetString(), Does.Contain("unknown state 'Atack'").And.Contain("did you mean 'Attack'"));
        Assert.That(field.GetProperty("suggestion").GetString(), Is.EqualTo("Attack"));
        Assert.That(_app.Site.Appliance.Control.Devices["cam1"].Pack, Is.SameAs(before), "the running policy is the old one");
        Assert.That(File.Exists(EditedFile), Is.False, "nothing written");
        Assert.That((await browser.GetFromJsonAsync<JsonElement>($"/api/packs/{Pack}")).GetProperty("yaml").GetString(), Is.EqualTo(_shipped));
    }

    [Test]
    public async Task An_accepted_pack_is_in_force_on_its_devices_at_once_keeping_their_state_audited_and_after_a_restart()
    {
        using var browser = await _app.SignedInAsync();
        var cam = _app.Site.Appliance.Engine.Devices.All.Single(d => d.Name == "cam1");
        Assert.That(cam.Chain!.Definition.Image, Is.EqualTo("camera-normal"));
        var edited = _shipped.Replace("  Normal: camera-normal", "  Normal: camera-strict", StringComparison.Ordinal);

        var response = await browser.PutAsJsonAsync($"/api/packs/{Pack}", new { yaml = edited });

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        Assert.That((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("chains").GetProperty("Normal").GetString(), Is.EqualTo("camera-strict"));
        Assert.That(cam.Chain!.Definition.Image, Is.EqualTo("camera-strict"), "the new chain of its state is in force from the next frame");
        Assert.That(_app.Site.Appliance.Control.Devices["cam1"].State, Is.EqualTo("Normal"));
        Assert.That(File.ReadAllText(EditedFile), Is.EqualTo(edited));
        Assert.That(_app.Site.Appliance.Store!.Store.Column("SELECT actor FROM audit_log WHERE action = 'pack-edit'").Single(), Is.EqualTo("admin via dashboard"));

        _app.Site.Restart();
        var restarted = _app.Site.Appliance;
        Assert.That(restarted.Packs.Single(p => p.Name == Pack).ImageFor("Normal"), Is.EqualTo("camera-strict"));
        Assert.That(restarted.Engine.Devices.All.Single(d => d.Name == "cam1").Chain!.Definition.Image, Is.EqualTo("camera-strict"));
    }

    [Test]
    public async Task An_edit_that_keeps_the_chain_of_a_device_s_state_keeps_its_chain_instance_and_tables()
    {
        using var browser = await _app.SignedInAsync();
        var cam = _app.Site.Appliance.Engine.Devices.All.Single(d => d.Name == "cam1");
        var chain = cam.Chain;
        var response = await browser.PutAsJsonAsync($"/api/packs/{Pack}", new { yaml = _shipped.Replace("window: 30min", "window: 45min", StringComparison.Ordinal) });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        Assert.That(cam.Chain, Is.SameAs(chain), "no redeployment: the chain's tables (login counts, flows) carry on");
        Assert.That(_app.Site.Appliance.Control.Devices["cam1"].Pack.Rules.Single(r => r.Name == "login-probing").WindowMicros, Is.EqualTo(45L * 60 * 1_000_000));
    }

    [Test]
    public async Task A_pack_that_drops_the_state_a_device_is_in_or_renames_its_type_is_refused()
    {
        using var browser = await _app.SignedInAsync();
        const string withoutNormal = "type: dlink-camera\nstates: [Suspicious, Attack]\ninitial: Suspicious\nchains: {Suspicious: camera-strict, Attack: block-all}\n"
            + "rules:\n  - {name: login-attack, from: Suspicious, to: Attack, priority: 20, window: 30min, when: {alert: max-login-attempts}}\n";
        var dropped = await browser.PutAsJsonAsync($"/api/packs/{Pack}", new { yaml = withoutNormal });
        Assert.That(dropped.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That(await Messages(dropped), Does.Contain("no longer has state 'Normal', in which cam1 are now"));

        var renamed = await browser.PutAsJsonAsync($"/api/packs/{Pack}", new { yaml = _shipped.Replace("type: dlink-camera", "type: other-camera", StringComparison.Ordinal) });
        Assert.That(renamed.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That(await Messages(renamed), Does.Contain("defines type 'other-camera'"));

        var unknown = await browser.PutAsJsonAsync("/api/packs/dlink-camra", new { yaml = _shipped });
        Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await Messages(unknown), Does.Contain("did you mean 'dlink-camera'"));
        Assert.That(File.Exists(EditedFile), Is.False);
    }

    [TestCase("{\"yaml\": \"\"}", HttpStatusCode.UnprocessableEntity, "is required")]
    [TestCase("{\"yaml\": \"type: [\"}", HttpStatusCode.UnprocessableEntity, "\"line\":")]
    [TestCase("{\"yaml\": 7}", HttpStatusCode.BadRequest, "invalid JSON at $.yaml")]
    [TestCase("{\"yaml\": \"x\", \"force\": true}", HttpStatusCode.BadRequest, "could not be mapped")]
    public async Task Hostile_bodies_get_a_clear_4xx_and_change_nothing(string body, HttpStatusCode status, string reason)
    {
        using var browser = await _app.SignedInAsync();
        var response = await browser.PutAsync($"/api/packs/{Pack}", ManagementApp.Json(body));
        Assert.That(response.StatusCode, Is.EqualTo(status));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain(reason));
        Assert.That(File.Exists(EditedFile), Is.False);
    }

    [Test]
    public async Task Alias_bombs_deep_nesting_huge_packs_and_requests_without_the_antiforgery_header_are_refused()
    {
        using var browser = await _app.SignedInAsync();
        var bomb = "type: dlink-camera\na: &a [x, x, x, x, x, x, x, x, x, x]\n" + string.Concat(Enumerable.Range(1, 9).Select(i => $"{(char)('a' + i)}: &{(char)('a' + i)} [{string.Join(", ", Enumerable.Repeat("*" + (char)('a' + i - 1), 10))}]\n"));
        var bombed = await browser.PutAsJsonAsync($"/api/packs/{Pack}", new { yaml = bomb });
        Assert.That(bombed.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));

        var deep = await browser.PutAsJsonAsync($"/api/packs/{Pack}", new { yaml = "type: dlink-camera\nx: " + new string('[', 2000) + new string(']', 2000) + "\n" });
        Assert.That(deep.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That(await deep.Content.ReadAsStringAsync(), Does.Contain("nest").IgnoreCase);

        var huge = await browser.PutAsJsonAsync($"/api/packs/{Pack}", new { yaml = _shipped + "# " + new string('x', 100_000) });
        Assert.That(huge.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));

        using var noCsrf = _app.Browser();
        await noCsrf.PostAsJsonAsync("/api/login", new { username = ManagementApp.Admin, password = ManagementApp.Password });
        var forged = await noCsrf.PutAsJsonAsync($"/api/packs/{Pack}", new { yaml = _shipped });
        Assert.That(forged.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(File.Exists(EditedFile), Is.False);
        Assert.That((await browser.GetAsync("/health")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "still serving");
    }

    /// <summary>The error and every field's message, as text (the JSON escapes quotes).</summary>
    private static async Task<string> Messages(HttpResponseMessage response)
    {
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var fields = body.TryGetProperty("fields", out var f) ? f.EnumerateArray().Select(x => x.GetProperty("message").GetString()) : [];
        return string.Join("\n", [body.GetProperty("error").GetString(), .. fields]);
    }
}
