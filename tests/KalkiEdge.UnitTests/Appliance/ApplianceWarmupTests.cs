using KalkiEdge.Appliance;
using KalkiEdge.Appliance.Config;
using KalkiEdge.Appliance.Control;
using KalkiEdge.Appliance.Warmup;
using KalkiEdge.Core;
using KalkiEdge.Store;

namespace KalkiEdge.UnitTests.Appliance;

/// <summary>
/// The live warm-up: the bundled scenario must really play (it silently did nothing for any site whose umboxes
/// directory lacks the bundled packs, leaving the first live reaction to the JIT: 9–80 ms), the real store gets its
/// first write, and the real appliance's devices are left as they were.
/// </summary>
public class ApplianceWarmupTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("kalki-warmup-").FullName;

    [TearDown]
    public void TearDown()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Test]
    public void Plays_the_bundled_scenario_for_a_site_with_its_own_umboxes_and_writes_the_start_to_the_real_store()
    {
        using var real = BuildSiteWithOwnUmboxes();
        var report = ApplianceWarmup.Run(real, LoadSimulationProfile(), "live bridge (test)");

        Assert.That(report.Problems, Is.Empty);
        Assert.That(report.ScenarioFrames, Is.GreaterThan(100));
        Assert.That(report.ScenarioTransitions, Is.GreaterThan(0), "the scenario's attacks moved the throwaway devices");
        // The first live login must not compile http-auth-guard's login path inside the reaction (~3 ms on the testbed).
        Assert.That(report.AlertTypes, Is.SupersetOf(new[] { "default-login", "max-login-attempts", "port-scan" }), report.ToString());
        Assert.That(report.StoreWritten, Is.True);
        Assert.That(real.Store!.Store.Column("SELECT actor || ' ' || action || ' ' || detail FROM audit_log"), Is.EqualTo(new[] { "kalki-edge start live bridge (test)" }));

        // Nothing of the scenario reached the real appliance: its device, its records.
        Assert.That(EdgeAppliance.StateOf(real.Engine.Devices.All.Single()), Is.EqualTo("Normal"));
        Assert.That(real.Store.Store.Count("transitions") + real.Store.Store.Count("alerts"), Is.Zero);
    }

    [Test]
    public void An_appliance_running_in_memory_is_warmed_without_a_store_write()
    {
        using var real = BuildSiteWithOwnUmboxes(persist: false);
        var report = ApplianceWarmup.Run(real, LoadSimulationProfile(), "test");
        Assert.That((report.Problems.Count, report.StoreWritten), Is.EqualTo((0, false)));
        Assert.That(report.ScenarioTransitions, Is.GreaterThan(0));
    }

    [Test]
    public void Native_code_gets_the_store_write_and_no_scenario()
    {
        using var real = BuildSiteWithOwnUmboxes();
        var report = ApplianceWarmup.StoreOnly(real, "live bridge (native)");
        Assert.That((report.Problems.Count, report.StoreWritten, report.ScenarioFrames), Is.EqualTo((0, true, 0L)));
        Assert.That(report.ToString(), Does.StartWith("scenario not played (native code: nothing to compile); store first write committed"));
        Assert.That(real.Store!.Store.Column("SELECT actor || ' ' || action || ' ' || detail FROM audit_log"), Is.EqualTo(new[] { "kalki-edge start live bridge (native)" }));
    }

    [Test]
    public void A_profile_whose_packs_are_missing_is_reported_not_skipped_silently()
    {
        using var real = BuildSiteWithOwnUmboxes(persist: false);
        var profile = LoadSimulationProfile();
        var broken = new SiteConfig { File = profile.File, UmboxesDir = Path.Combine(_dir, "umboxes"), Devices = profile.Devices };
        var report = ApplianceWarmup.Run(real, broken, "test");
        Assert.That(report.ScenarioTransitions, Is.Zero);
        Assert.That(report.Problems.Single(), Does.Contain("did not build").And.Contain("not known"));
    }

    /// <summary>Like the reaction benchmark's site: one pack and two images of its own, none of the bundled ones.</summary>
    private EdgeAppliance BuildSiteWithOwnUmboxes(bool persist = true)
    {
        var umboxes = Path.Combine(_dir, "umboxes");
        Directory.CreateDirectory(Path.Combine(umboxes, "images"));
        Directory.CreateDirectory(Path.Combine(umboxes, "packs"));
        File.WriteAllText(Path.Combine(umboxes, "images", "watch.yaml"),
            "name: watch\nversion: 1\ndescription: watch\nchain: |\n  http-auth-guard(ports: [80], defaults: [\"admin:admin\"], max-logins: 5, window: 1min)\n");
        File.WriteAllText(Path.Combine(umboxes, "images", "block-all.yaml"), "name: block-all\nversion: 1\ndescription: block\nchain: |\n  block-all\n");
        File.WriteAllText(Path.Combine(umboxes, "packs", "site-cam.yaml"),
            "type: site-cam\ndescription: a site's own device type\nsampling: 60s\nchains:\n  Normal: watch\n  Suspicious: block-all\n  Attack: block-all\n" +
            "rules:\n  - name: default-login\n    from: Normal\n    to: Suspicious\n    priority: 10\n    window: 1min\n    when: {alert: default-login}\n" +
            "  - name: persists\n    from: Suspicious\n    to: Attack\n    priority: 20\n    window: 5min\n    when: {alert: default-login, min: 2}\n");
        var path = Path.Combine(_dir, "site.yaml");
        File.WriteAllText(path, $"umboxes: {umboxes}\ndata-dir: {Path.Combine(_dir, "data")}\ndevices:\n  - {{name: cam1, mac: \"02:00:00:00:09:01\", ip: 192.0.2.91, type: site-cam}}\n");
        var diagnostics = new DiagnosticBag();
        var config = SiteConfigLoader.Load(path, diagnostics);
        var appliance = config is null ? null : EdgeAppliance.Build(config, diagnostics, new NullObserver(), persist);
        Assert.That(appliance, Is.Not.Null, diagnostics.ToString());
        return appliance!;
    }

    private static SiteConfig LoadSimulationProfile()
    {
        var path = Path.Combine(RepoPaths.Root, "firmware", "KalkiEdge.Host", "profiles", "simulation.yaml");
        var diagnostics = new DiagnosticBag();
        var profile = SiteConfigLoader.Load(path, diagnostics);
        Assert.That(profile is not null && !diagnostics.HasErrors, Is.True, diagnostics.ToString());
        return profile!;
    }
}
