using System.Diagnostics;
using System.Text.RegularExpressions;
using KalkiEdge.BrowserTests.Support;
using KalkiEdge.LiveTests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace KalkiEdge.BrowserTests;

/// <summary>
/// The dashboard as an administrator uses it, in headless Chromium against the real `kalki-edge run` bridging the
/// testbed (network namespaces, real frames): first-visit setup with the printed token, sign-in, a Hue bridge
/// added from its pack in under 6 inputs, a live API brute force watched moving it to Attack without a reload,
/// an alert storm folded into "flood ×N" lines of the live feed, an operator reset, a rule edit the pack checker
/// rejects next to its field, a pairing candidate accepted with its maker's MUD URL (a non-https one refused in
/// words first), the ips rules in force, sign-out and refusal. Every page is saved as a screenshot under out/test-results/screenshots/ and checked by axe-core for accessibility.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed partial class DashboardScenarioTests : TestbedFixture
{
    /// <summary>The whole scenario's budget; every wait inside it is bounded too.</summary>
    private static readonly TimeSpan Budget = TimeSpan.FromMinutes(6);
    private static readonly TimeSpan LiveWait = TimeSpan.FromSeconds(45);
    private const string Admin = "admin";
    private const string WemoMud = "https://wemo.example.com/mud/wemo";

    /// <summary>udoo's chain: an alert for every SYN to TR-069's port (no threshold), so a SYN flood is an alert storm.</summary>
    private const string StormChain = "ips(rules: iot-common.rules, alert-cap: 1000000)";

    protected override string? MissingPrerequisite() => HeadlessChromium.WhyUnavailable();

    [Test]
    public async Task AnAdministratorAddsADeviceWatchesItsAttackLiveResetsItAndIsRefusedAfterSigningOut()
    {
        var clock = Stopwatch.StartNew();
        var password = "browser-" + Guid.NewGuid().ToString("N")[..12];
        var hue = _testbed["hue"];
        var config = _configs.Write(_testbed,
            types: new Dictionary<string, string> { ["wemo"] = "wemo-insight", ["cam"] = "dlink-camera" },
            chains: new Dictionary<string, string> { ["udoo"] = StormChain },
            sections: $"management: {{listen: \"127.0.0.1:8080\", control-socket: {Path.Combine(_configs.Dir, "control.sock")}}}\n{_configs.BatchedSigning}\n{PairingSection()}",
            leaveOut: new HashSet<string> { "hue", "wemo" });
        using var appliance = ApplianceProcess.StartBridging(_testbed, config);
        Assert.That(appliance.WaitFor(l => SetupLink().IsMatch(l), TimeSpan.FromSeconds(30)), $"the appliance prints a one-time setup link\n{appliance.Stdout}");
        var setupUrl = SetupLink().Match(appliance.Stdout).Value;

        await using var chromium = await HeadlessChromium.Start(_testbed.Namespace("app"));
        var page = await chromium.Context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);

        // First visit: the administrator's password, with the token from the printed link.
        await page.GotoAsync(setupUrl);
        await page.FillAsync("#setup-pass", password);
        await page.FillAsync("#setup-again", password);
        await Expect(page.Locator("#setup-token")).Not.ToBeEmptyAsync();
        await HeadlessChromium.Capture(page, 1, "setup");
        await page.ClickAsync("text=Create administrator");

        await Expect(page.Locator("#login-user")).ToBeVisibleAsync();
        await page.FillAsync("#login-user", Admin);
        await page.FillAsync("#login-pass", password + "-wrong");
        await page.ClickAsync("button:has-text('Sign in')");
        await Expect(page.Locator("#login-error")).Not.ToBeEmptyAsync();
        await HeadlessChromium.Capture(page, 2, "login-refused");
        await page.FillAsync("#login-user", Admin);
        await page.FillAsync("#login-pass", password);
        await page.ClickAsync("button:has-text('Sign in')");
        await Expect(page.Locator("#devices")).ToBeVisibleAsync();
        await Expect(page.Locator("#live-status")).ToHaveClassAsync(new Regex(@"\bon\b"), new() { Timeout = 10_000 });
        Within(clock, "sign-in");

        // A Hue bridge from its pack: every input the administrator makes is counted.
        await page.ClickAsync("#nav >> text=Add device");
        await Expect(page.Locator(".pack[data-pack='philips-hue-bridge']")).ToBeVisibleAsync();
        var inputs = 0;
        await page.ClickAsync(".pack[data-pack='philips-hue-bridge']");
        inputs++;
        await Expect(page.Locator("#policy-summary")).ToContainTextAsync("hue-normal");
        await page.FillAsync("#add-name", "hue");
        inputs++;
        await page.FillAsync("#add-mac", hue.Mac);
        inputs++;
        await page.FillAsync("#add-ips", hue.Ip);
        inputs++;
        await HeadlessChromium.Capture(page, 3, "add-device");
        await page.ClickAsync("#add-submit");
        inputs++;
        Assert.That(inputs, Is.LessThan(6), "a device protected by its pack's complete policy in under 6 inputs");
        await Expect(page.Locator("main h1")).ToHaveTextAsync("hue");
        await Expect(page.Locator(".page-head .state")).ToHaveTextAsync("Normal");
        await Expect(page.Locator("#chain-panel")).ToContainTextAsync("hue-normal");
        Within(clock, "add a device");

        // The attack, watched on the overview: the row turns Suspicious then Attack with no reload.
        await page.ClickAsync("#nav >> text=Overview");
        var row = page.Locator("#devices tr[data-device='hue']");
        await Expect(row.Locator(".state")).ToHaveTextAsync("Normal");
        // udoo runs a fixed chain (no pack, no security state): its pill says what its tile counts.
        var fixedPill = page.Locator("#devices tr[data-device='udoo'] .state");
        await Expect(fixedPill).ToHaveTextAsync("Fixed chain");
        await Expect(fixedPill).ToHaveAttributeAsync("data-state", "Fixed chain");
        var fixedPills = await page.Locator("#devices .state[data-state='Fixed chain']").CountAsync();
        await Expect(page.Locator("#state-counts .tile[data-state='Fixed chain'] .v")).ToHaveTextAsync(fixedPills.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // Every state the row shows is recorded as the page draws it (the two changes may come a moment apart).
        await page.EvaluateAsync(@"() => {
            window.kalkiSamePage = 'still here';
            const state = () => document.querySelector(""#devices tr[data-device='hue'] .state"")?.dataset.state;
            window.kalkiSeen = [state()];
            new MutationObserver(() => {
                if (state() && window.kalkiSeen.at(-1) !== state()) window.kalkiSeen.push(state());
            }).observe(document.querySelector('#devices'), { childList: true, subtree: true });
        }");
        var attack = Task.Run(() => _testbed.Tool("attacker", "hue_bruteforce", "--target", hue.Ip, "--count", "300", "--rate", "12", "--duration", "40"));
        await Expect(row.Locator(".state")).ToHaveTextAsync("Attack", new() { Timeout = (float)LiveWait.TotalMilliseconds });
        Assert.That(await page.EvaluateAsync<string[]>("() => window.kalkiSeen"), Is.EqualTo(new[] { "Normal", "Suspicious", "Attack" }), "the row showed each state change as it came");
        Assert.That(await page.EvaluateAsync<string?>("() => window.kalkiSamePage"), Is.EqualTo("still here"), "the state changes arrived without a reload");
        await Expect(page.Locator(".feed li.transition").First).ToContainTextAsync("hue");
        await Expect(page.Locator("#state-counts .tile[data-state='Attack'] .v")).ToHaveTextAsync("1");
        await HeadlessChromium.Capture(page, 4, "overview-attack");
        await attack;
        Within(clock, "attack");

        // An alert storm (one alert per SYN): the feed shows the first alert and then "flood ×N" lines, a few a
        // second, not one line per alert.
        var udoo = _testbed["udoo"];
        var (stormExit, storm) = _testbed.Tool("attacker", "syn_flood", "--target", udoo.Ip, "--dport", "7547", "--count", "600", "--rate", "200", "--duration", "20");
        Assert.That(stormExit, Is.Zero, storm.ToString());
        var flooded = page.Locator(".feed li.flooded").Filter(new() { HasText = "udoo" }).First;
        await Expect(flooded.Locator(".flood")).ToHaveTextAsync(new Regex(@"^flood ×[\d,]+$"), new() { Timeout = (float)LiveWait.TotalMilliseconds });
        Assert.That(await flooded.Locator(".flood").GetAttributeAsync("title"), Does.Contain("folded into one live event"));
        await HeadlessChromium.Capture(page, 4, "overview-flood");
        Within(clock, "storm");

        // The device page: its reaction traces, then the operator's reset, applied live.
        await row.Locator("a.devlink").ClickAsync();
        await Expect(page.Locator("#transitions tbody tr")).ToHaveCountAsync(2, new() { Timeout = 10_000 });
        await Expect(page.Locator("#transitions tbody")).ToContainTextAsync("TRIGGER");
        await Expect(page.Locator("#alerts")).ToContainTextAsync("brute-force");
        await HeadlessChromium.Capture(page, 5, "device-attack");
        await page.ClickAsync("#reset");
        await page.FillAsync("dialog textarea", "API keys rotated after the brute force");
        await page.ClickAsync("dialog button:has-text('Reset state')");
        await Expect(page.Locator(".page-head .state")).ToHaveTextAsync("Normal", new() { Timeout = 15_000 });
        Within(clock, "reset");

        // A rule edit the pack checker rejects: the error stands next to the field, nothing is applied.
        await page.ClickAsync("#nav >> text=Policies");
        await page.ClickAsync(".pack-list >> text=philips-hue-bridge");
        var to = page.Locator("#rule-0-to");
        await Expect(to).ToHaveValueAsync("Suspicious");
        await to.FillAsync("Suspicius");
        await page.ClickAsync("#save-pack");
        await Expect(to).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(page.Locator("#rule-0-to ~ .error")).ToContainTextAsync("Suspicius");
        await Expect(page.Locator("#rule-0-to ~ .error")).ToContainTextAsync("did you mean 'Suspicious'");
        await Expect(page.Locator("#pack-errors")).ToContainTextAsync("line");
        await HeadlessChromium.Capture(page, 6, "policy-rejected");
        await to.FillAsync("Suspicious");
        await page.ClickAsync("#save-pack");
        await Expect(page.Locator("#pack-errors")).ToBeEmptyAsync();
        await Expect(page.Locator(".toast").Last).ToContainTextAsync("philips-hue-bridge saved");
        await HeadlessChromium.Capture(page, 6, "policy");
        Within(clock, "policy");

        // A pack exported here comes back as a new device type through Import, and Add device offers it at once.
        var exported = await page.EvaluateAsync<string>("async () => (await fetch('/api/packs/philips-hue-bridge/export', { credentials: 'same-origin' })).text()");
        var copy = exported.Replace("type: philips-hue-bridge", "type: hue-lab", StringComparison.Ordinal);
        await page.Locator("input[type=file]").SetInputFilesAsync(new FilePayload { Name = "hue-lab.yaml", MimeType = "text/yaml", Buffer = System.Text.Encoding.UTF8.GetBytes(copy) });
        await Expect(page.Locator("#save-pack")).ToHaveTextAsync("Check and import as 'hue-lab'");
        await page.ClickAsync("#save-pack");
        await Expect(page.Locator("main h1")).ToHaveTextAsync("Policy: hue-lab");
        await Expect(page.Locator(".pack-list")).ToContainTextAsync("philips-hue-bridge");
        await page.ClickAsync("#nav >> text=Add device");
        await Expect(page.Locator(".pack[data-pack='hue-lab']")).ToBeVisibleAsync();
        Within(clock, "import");

        // Pairing on the same page: WeMo (not in the site config) sends a frame while the window is open and is
        // listed as a candidate. A MUD URL that is not https is refused in words beside its field; the maker's is
        // taken, and its file's allow-list is the device's from then on.
        var wemo = _testbed["wemo"];
        await page.ClickAsync("#pairing-open");
        await Expect(page.Locator("#pairing-status")).ToContainTextAsync("open");
        _ = _testbed.Probe("wemo", "tcp", "192.0.2.100", "7", "--send", "hello", "--expect-fail"); // its first frames: what they meet does not matter here
        var candidate = page.Locator($"#pairing-candidates tr[data-mac='{wemo.Mac}']");
        await Expect(candidate).ToBeVisibleAsync(new() { Timeout = (float)LiveWait.TotalMilliseconds });
        var mud = candidate.Locator("input[name='mud']");
        await mud.FillAsync(WemoMud.Replace("https:", "http:", StringComparison.Ordinal));
        await candidate.Locator("button:has-text('Accept')").ClickAsync();
        await Expect(mud).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(candidate.Locator(".error")).ToContainTextAsync("is not an https URL");
        await HeadlessChromium.Capture(page, 3, "pairing-mud-refused");
        await mud.FillAsync(WemoMud);
        await candidate.Locator("button:has-text('Accept')").ClickAsync();
        await Expect(page.Locator(".toast").Last).ToContainTextAsync($"allowed by the MUD file of {WemoMud}");
        var paired = page.Locator("#pairing-recent tr").Filter(new() { HasText = wemo.Mac });
        await Expect(paired).ToContainTextAsync("generic-iot");
        await page.ClickAsync("#pairing-close");
        await Expect(page.Locator("#pairing-status")).ToHaveTextAsync("closed");
        await HeadlessChromium.Capture(page, 3, "pairing");
        await paired.Locator("a").ClickAsync();
        // generic-iot's chain has no egress-guard of its own: the one the device page shows is the MUD file's.
        await Expect(page.Locator("#chain-panel .element").Filter(new() { HasText = "egress-guard" })).ToHaveCountAsync(1, new() { Timeout = (float)LiveWait.TotalMilliseconds });
        await Expect(page.Locator("#device-mud")).ToHaveTextAsync(WemoMud); // the file in force, named in the device's facts
        Assert.That(_testbed.Probe("wemo", "tcp", "192.0.2.100", "7", "--send", "hello"), "the MUD file declares the echo service: WeMo's Normal chain lets it through");
        Assert.That(_testbed.Probe("wemo", "tcp", "192.0.2.100", "80", "--expect-fail"), "and nothing it does not declare");
        Within(clock, "pairing");

        // The other pages, each saved for a person to look at.
        await Page(page, "μmbox catalogue", "#images tbody tr", 7, "umboxes");
        await Page(page, "Alert types", "#alert-types tbody tr", 8, "alert-types");
        // The ips rules in force: the images' (with the packs that use them) and udoo's own chain.
        await Page(page, "IPS rules", "#ips-rules tbody tr", 8, "ips-rules");
        var udooRules = page.Locator("#ips-rules .rule-set").Filter(new() { HasText = "device udoo" });
        await Expect(udooRules.Locator("tbody")).ToContainTextAsync("iot-common.rules:");
        await Expect(page.Locator("#ips-rules .rule-set[data-chain='camera-strict']")).ToContainTextAsync("pack dlink-camera (Suspicious)");
        await Page(page, "Audit log", "#audit tbody tr", 9, "audit");
        await Expect(page.Locator("#audit")).ToContainTextAsync(Admin);
        await Page(page, "Site settings", "main section h2", 10, "settings");
        await page.ClickAsync("#nav >> text=API tokens");
        await page.FillAsync("#token-name", "nightly-export");
        await page.ClickAsync("button:has-text('Create token')");
        await Expect(page.Locator("#new-token")).Not.ToBeEmptyAsync();
        await Expect(page.Locator("#tokens")).ToContainTextAsync("nightly-export");
        await HeadlessChromium.Capture(page, 11, "tokens");
        // Firmware update: a file that is no signed bundle is refused with the reason, and the firmware stays.
        await page.ClickAsync("#nav >> text=Firmware update");
        await page.SetInputFilesAsync("#update-file", new FilePayload { Name = "notes.raucb", MimeType = "application/octet-stream", Buffer = "not a bundle"u8.ToArray() });
        await page.ClickAsync("button:has-text('Install update')");
        await Expect(page.Locator("#update-result")).ToContainTextAsync("not a RAUC update bundle");
        await HeadlessChromium.Capture(page, 12, "update");
        Within(clock, "pages");

        // Signed out: the pages and the API refuse.
        await page.ClickAsync("#logout");
        await Expect(page.Locator("#login-user")).ToBeVisibleAsync();
        var status = await page.EvaluateAsync<int>("async () => (await fetch('/api/overview', { credentials: 'same-origin' })).status");
        Assert.That(status, Is.EqualTo(401), "the API refuses a signed-out browser");
        await page.GotoAsync(setupUrl.Split("/setup")[0] + "/#/devices/hue");
        await Expect(page.Locator("#login-user")).ToBeVisibleAsync();
        await Expect(page.Locator("#devices")).Not.ToBeVisibleAsync();
        Assert.That(errors, Is.Empty, "no script errors on any page");
        Within(clock, "sign-out");
        Assert.That(appliance.Stop().ExitCode, Is.Zero);
    }

    /// <summary>The pairing the dashboard drives (no button on this testbed) and WeMo's MUD file in the site's MUD folder.</summary>
    private string PairingSection()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_configs.Dir, "mud")).FullName;
        File.WriteAllText(Path.Combine(folder, "wemo.json"), MudFiles.EchoOnly(WemoMud, "WeMo Insight"));
        // The candidate waits for the administrator: it is admitted when accepted, not when observation ends.
        return $"panel: {{pairing: {{window: 300s, observe: 300s}}, mud: {{dir: {folder}}}}}";
    }

    private static async Task Page(IPage page, string nav, string ready, int order, string name)
    {
        await page.ClickAsync($"#nav >> text={nav}");
        await Expect(page.Locator(ready).First).ToBeVisibleAsync();
        await HeadlessChromium.Capture(page, order, name);
    }

    private static void Within(Stopwatch clock, string step) =>
        Assert.That(clock.Elapsed, Is.LessThan(Budget), $"the scenario ran out of its {Budget.TotalMinutes} min budget at: {step}");

    [GeneratedRegex(@"http://\S+/setup\?token=[^\s""']+")]
    private static partial Regex SetupLink();
}
