using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace KalkiEdge.UnitTests.Management;

/// <summary>GET /api/ips-rules (the dashboard's rules page) through the real HTTP pipeline over the repository's images and packs.</summary>
public class IpsRulesApiTests : ManagementAppFixture
{
    [Test]
    public async Task The_rules_need_a_signed_in_user()
    {
        using var anonymous = _app.Browser();
        var response = await anonymous.GetAsync("/api/ips-rules");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Each_image_lists_its_rules_with_action_inspection_and_place_and_the_packs_that_use_it()
    {
        using var browser = await _app.SignedInAsync();
        var sets = (await browser.GetFromJsonAsync<JsonElement>("/api/ips-rules")).EnumerateArray().ToList();

        var strict = sets.Single(s => s.GetProperty("chain").GetString() == "camera-strict");
        Assert.That(strict.GetProperty("kind").GetString(), Is.EqualTo("image"));
        Assert.That(strict.GetProperty("usedBy").EnumerateArray().Select(u => u.GetString()), Does.Contain("pack dlink-camera (Suspicious)"));
        var rules = strict.GetProperty("rules").EnumerateArray().ToDictionary(r => r.GetProperty("sid").GetInt64());

        // Both rule files of the image: content rules on the stream, flag rules per packet; file:line as written.
        var injection = rules[2000002];
        Assert.That(injection.GetProperty("message").GetString(), Is.EqualTo("CAMERA command injection via command.php"));
        Assert.That(injection.GetProperty("action").GetString(), Is.EqualTo("drop"));
        Assert.That(injection.GetProperty("inspection").GetString(), Is.EqualTo("stream"));
        Assert.That(injection.GetProperty("origin").GetString(), Does.EndWith("camera.rules:4"));
        var xmas = rules[1000001];
        Assert.That(xmas.GetProperty("action").GetString(), Is.EqualTo("alert"));
        Assert.That(xmas.GetProperty("inspection").GetString(), Is.EqualTo("packet"));
        Assert.That(xmas.GetProperty("origin").GetString(), Does.EndWith("xmas-scan.rules:3"));

        // Only chains that load rules are listed; an image without ips is not.
        Assert.That(sets.Select(s => s.GetProperty("chain").GetString()), Does.Not.Contain("camera-normal"));
        Assert.That(sets.SelectMany(s => s.GetProperty("rules").EnumerateArray()).Count(), Is.GreaterThan(rules.Count));
    }
}
