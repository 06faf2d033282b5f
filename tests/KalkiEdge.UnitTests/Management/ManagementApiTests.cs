using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using KalkiEdge.Core;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace KalkiEdge.UnitTests.Management;

/// <summary>The management API through the real HTTP pipeline: Kestrel on loopback, the real appliance, a real SQLite file.</summary>
public class ManagementApiTests : ManagementAppFixture
{
    private static readonly string[] Public = ["GET /health", "GET /api/setup", "POST /api/setup", "POST /api/login"];

    [Test]
    public async Task Every_endpoint_in_the_route_table_except_setup_login_and_health_refuses_an_anonymous_request()
    {
        var endpoints = _app.Server.Services.GetServices<EndpointDataSource>().SelectMany(s => s.Endpoints).OfType<RouteEndpoint>().ToList();
        var routes = endpoints.SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
            .Select(m => (Method: m, Pattern: e.RoutePattern.RawText ?? "", Anonymous: e.Metadata.GetMetadata<IAllowAnonymous>() is not null))).ToList();
        Assert.That(routes, Has.Count.GreaterThan(20), "the whole API is in the table");
        var anonymousRoutes = routes.Where(r => r.Anonymous).Select(r => $"{r.Method} {r.Pattern}").ToList();
        Assert.That(anonymousRoutes, Is.SupersetOf(Public));
        Assert.That(anonymousRoutes.Except(Public), Is.SubsetOf(new[] { "GET /setup", "HEAD /setup" }),
            "only setup, login and /health are anonymous, and the setup page (a static file: index.html) when the pages are installed");

        using var anonymous = _app.Browser();
        foreach (var (method, pattern, anonymousAllowed) in routes.Where(r => !r.Anonymous))
        {
            var path = System.Text.RegularExpressions.Regex.Replace(pattern, "{[^}]+}", "x");
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method is "GET" or "DELETE" ? null : ManagementApp.Json("{}") };
            using var response = await anonymous.SendAsync(request);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), $"{method} {pattern} answered an anonymous request");
        }
    }

    [Test]
    public async Task Setup_needs_the_printed_token_and_a_long_password_and_happens_once()
    {
        using var browser = _app.Browser();
        Assert.That((await browser.GetFromJsonAsync<JsonElement>("/api/setup")).GetProperty("needed").GetBoolean(), Is.True);

        var wrongToken = await browser.PostAsJsonAsync("/api/setup", new { username = "admin", password = "long enough password", token = "guess" });
        Assert.That(wrongToken.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        var shortPassword = await browser.PostAsJsonAsync("/api/setup", new { username = "admin", password = "short", token = _app.Context.Accounts.SetupToken });
        Assert.That(shortPassword.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That(await shortPassword.Content.ReadAsStringAsync(), Does.Contain("\"field\":\"password\"").And.Contain("at least 12"));

        var ok = await browser.PostAsJsonAsync("/api/setup", new { username = "admin", password = "long enough password", token = _app.Context.Accounts.SetupToken });
        Assert.That(ok.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        var again = await browser.PostAsJsonAsync("/api/setup", new { username = "mallory", password = "long enough password", token = _app.Context.Accounts.SetupToken });
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));

        var hash = _app.Site.Appliance.Store!.Store.Column("SELECT password_hash FROM users").Single() as string;
        Assert.That(hash, Does.Not.Contain("long enough password"));
        Assert.That(Convert.FromBase64String(hash!)[0], Is.EqualTo(0x01), "Identity's v3 format: PBKDF2 with salt and iteration count");
    }

    [Test]
    public async Task A_session_cookie_is_HttpOnly_and_SameSite_Strict_and_writes_need_the_antiforgery_header()
    {
        using var browser = await _app.SignedInAsync();
        using var raw = _app.Browser();
        var login = await raw.PostAsJsonAsync("/api/login", new { username = ManagementApp.Admin, password = ManagementApp.Password });
        var cookie = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("kalki-session=", StringComparison.Ordinal));
        Assert.That(cookie, Does.Contain("httponly").IgnoreCase.And.Contain("samesite=strict").IgnoreCase);

        var noHeader = await raw.PostAsJsonAsync("/api/devices", Plug());
        Assert.That(noHeader.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await noHeader.Content.ReadAsStringAsync(), Does.Contain("X-CSRF-TOKEN"));
        Assert.That(_app.Site.Appliance.Registry.Find("plug1"), Is.Null, "refused before anything was saved");

        var withHeader = await browser.PostAsJsonAsync("/api/devices", Plug());
        Assert.That(withHeader.StatusCode, Is.EqualTo(HttpStatusCode.Created), await withHeader.Content.ReadAsStringAsync());

        Assert.That((await browser.PostAsync("/api/logout", null)).StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That((await browser.GetAsync("/api/devices")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task An_API_token_authenticates_scripts_without_antiforgery_until_it_is_deleted()
    {
        using var browser = await _app.SignedInAsync();
        var created = await (await browser.PostAsJsonAsync("/api/tokens", new { name = "ci" })).Content.ReadFromJsonAsync<JsonElement>();
        var token = created.GetProperty("token").GetString()!;
        Assert.That(_app.Site.Appliance.Store!.Store.Column("SELECT token_hash FROM api_tokens").Single(), Is.Not.EqualTo(token));

        using var script = new HttpClient { BaseAddress = _app.Base };
        script.DefaultRequestHeaders.Authorization = new("Bearer", token);
        var added = await script.PostAsJsonAsync("/api/devices", Plug());
        Assert.That(added.StatusCode, Is.EqualTo(HttpStatusCode.Created), await added.Content.ReadAsStringAsync());
        Assert.That(_app.Site.Appliance.Store.Store.Column("SELECT actor FROM audit_log WHERE action = 'device-add'").Single(), Is.EqualTo("admin via API token"));

        var openApi = await script.GetStringAsync("/openapi/v1.json");
        Assert.That(openApi, Does.Contain("\"/api/devices/{name}\"").And.Contain("\"/api/overview\"").And.Contain("DeviceSummary"));

        Assert.That((await browser.DeleteAsync($"/api/tokens/{created.GetProperty("id").GetInt64()}")).StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That((await script.GetAsync("/api/devices")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task API_tokens_are_bounded_and_a_bad_name_is_refused_with_the_field()
    {
        using var browser = await _app.SignedInAsync();
        var badName = await browser.PostAsJsonAsync("/api/tokens", new { name = "line\nbreak" });
        Assert.That(badName.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That(await badName.Content.ReadAsStringAsync(), Does.Contain("\"field\":\"name\""));
        for (int i = 0; i < KalkiEdge.Management.Auth.Accounts.MaxTokens; i++)
        {
            Assert.That((await browser.PostAsJsonAsync("/api/tokens", new { name = $"t{i}" })).StatusCode, Is.EqualTo(HttpStatusCode.Created));
        }

        var over = await browser.PostAsJsonAsync("/api/tokens", new { name = "one-too-many" });
        Assert.That(over.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(await over.Content.ReadAsStringAsync(), Does.Contain("delete one"));
        Assert.That(_app.Site.Appliance.Store!.Store.Column("SELECT name FROM api_tokens"), Has.Count.EqualTo(KalkiEdge.Management.Auth.Accounts.MaxTokens));
    }

    [Test]
    public async Task Sign_in_attempts_are_limited_per_source_with_Retry_After()
    {
        using var browser = _app.Browser();
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? last = null;
        for (int i = 0; i < 7; i++)
        {
            last = await browser.PostAsJsonAsync("/api/login", new { username = "admin", password = "wrong password!" });
            statuses.Add(last.StatusCode);
        }

        Assert.That(statuses.Take(5), Is.All.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(statuses.Skip(5), Is.All.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(last!.Headers.RetryAfter, Is.Not.Null);
    }

    [Test]
    public async Task Devices_are_added_edited_reset_and_deleted_through_the_API_with_field_errors_and_audit()
    {
        using var browser = await _app.SignedInAsync();
        var bad = await browser.PostAsJsonAsync("/api/devices", new { name = "plug1", type = "generic-iot", mac = "02:00:00:00:07:zz", ips = new[] { "192.0.2.72" } });
        Assert.That(bad.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        var error = await bad.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(error.GetProperty("fields")[0].GetProperty("field").GetString(), Is.EqualTo("mac"));

        var chain = await browser.PostAsJsonAsync("/api/devices", new { name = "plug1", chain = "firewall(default: drop) -> fire-wall", mac = "02:00:00:00:07:02" });
        var chainError = (await chain.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("fields")[0];
        Assert.That((chainError.GetProperty("field").GetString(), chainError.GetProperty("line").GetInt32(), chainError.GetProperty("column").GetInt32()), Is.EqualTo(("chain", 1, 28)));

        var added = await browser.PostAsJsonAsync("/api/devices", Plug());
        var summary = await added.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That((summary.GetProperty("state").GetString(), summary.GetProperty("image").GetString(), summary.GetProperty("origin").GetString()), Is.EqualTo(("Normal", "generic-normal", "runtime")));

        var detail = await browser.GetFromJsonAsync<JsonElement>("/api/devices/plug1");
        Assert.That(detail.GetProperty("elements").EnumerateArray().Select(e => e.GetProperty("kind").GetString()), Is.EqualTo(new[] { "port-scan", "rate-limit", "http-auth-guard" }));
        Assert.That(detail.TryGetProperty("mud", out _), Is.False, "no MUD file in force: the pack's own allow-list");

        var edited = await browser.PutAsJsonAsync("/api/devices/plug1", Plug() with { description = "hall" });
        Assert.That(edited.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var configDevice = await browser.PutAsJsonAsync("/api/devices/cam1", Plug() with { name = "cam1" });
        Assert.That(configDevice.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));

        var reset = await browser.PostAsJsonAsync("/api/devices/plug1/reset", new { reason = "checked" });
        Assert.That(reset.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        Assert.That((await browser.DeleteAsync("/api/devices/plug1")).StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That((await browser.GetAsync("/api/devices/plug1")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));

        _app.Site.Appliance.Store!.Writer.Flush(TimeSpan.FromSeconds(10));
        var audit = await browser.GetFromJsonAsync<JsonElement>("/api/audit?limit=10");
        Assert.That(audit.EnumerateArray().Select(a => a.GetProperty("action").GetString()), Is.SupersetOf(new[] { "device-add", "device-edit", "state-reset", "device-delete", "login", "setup" }));
        Assert.That(audit.EnumerateArray().Single(a => a.GetProperty("action").GetString() == "state-reset").GetProperty("actor").GetString(), Is.EqualTo("admin via dashboard"));
    }

    [TestCase("{\"name\": ", "invalid JSON")]
    [TestCase("{\"name\": 42}", "invalid JSON at $.name")]
    [TestCase("{\"name\": \"a\", \"admin\": true}", "could not be mapped")]
    [TestCase("null", "must be a JSON object")]
    public async Task Bad_JSON_gets_a_400_with_the_reason(string body, string reason)
    {
        using var browser = await _app.SignedInAsync();
        var response = await browser.PostAsync("/api/devices", ManagementApp.Json(body));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), Does.Contain(reason));
    }

    [Test]
    public async Task Deep_nesting_huge_bodies_and_other_content_types_are_refused_with_the_reason_and_nothing_is_saved()
    {
        using var browser = await _app.SignedInAsync();
        var deep = "{\"credentials\": " + string.Concat(Enumerable.Repeat("[", 5000)) + string.Concat(Enumerable.Repeat("]", 5000)) + "}";
        var nested = await browser.PostAsync("/api/devices", ManagementApp.Json(deep));
        Assert.That(nested.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));

        var huge = await browser.PostAsync("/api/devices", ManagementApp.Json("{\"description\": \"" + new string('x', 200_000) + "\"}"));
        Assert.That(huge.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(await huge.Content.ReadAsStringAsync(), Does.Contain("larger than"));

        var form = await browser.PostAsync("/api/devices", new StringContent("name=x", Encoding.UTF8, "application/x-www-form-urlencoded"));
        Assert.That(form.StatusCode, Is.EqualTo(HttpStatusCode.UnsupportedMediaType));
        Assert.That(_app.Site.Appliance.Registry.List(), Has.Count.EqualTo(1));
        Assert.That((await browser.GetAsync("/health")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "still serving");
    }

    [Test]
    public async Task Live_events_push_device_changes_and_alerts_as_they_happen()
    {
        using var browser = await _app.SignedInAsync();
        using var stream = new StreamReader(await browser.GetStreamAsync("/api/events"));
        Assert.That(await stream.ReadLineAsync(), Is.EqualTo(": connected"));

        await browser.PostAsJsonAsync("/api/devices", Plug());
        _app.Site.Appliance.Alerts.Raise(new Alert(AlertTypes.PortScan, "plug1", AlertSource.Umbox, 1_000_000, "scan"));
        _app.Site.Appliance.EndFrame();

        var events = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!events.Contains("transition"))
        {
            var line = await stream.ReadLineAsync(timeout.Token);
            if (line?.StartsWith("event: ", StringComparison.Ordinal) == true)
            {
                events.Add(line["event: ".Length..]);
            }
        }

        Assert.That(events, Is.EqualTo(new[] { "device", "alert", "transition" }));
    }

    [Test]
    public void A_non_loopback_address_is_refused_without_the_TLS_certificate_instead_of_serving_plain_HTTP()
    {
        var settings = new KalkiEdge.Management.ManagementSettings("192.0.2.1:8443", "/nonexistent/control.sock")
        {
            Certificate = Path.Combine(_dir, "keys", "tls.crt"),
            Key = Path.Combine(_dir, "keys", "tls.key"),
        };
        Assert.That(settings.IsLoopback, Is.False);
        var e = Assert.ThrowsAsync<IOException>(() => KalkiEdge.Management.ManagementServer.StartAsync(settings, _app.Context));
        Assert.That(e!.Message, Does.Contain("HTTPS only").And.Contain("tls.crt"));
    }

    private static DeviceBody Plug() => new("plug1", "generic-iot", "02:00:00:00:07:02", ["192.0.2.72"], "");

    private sealed record DeviceBody(string name, string type, string mac, string[] ips, string description);
}
