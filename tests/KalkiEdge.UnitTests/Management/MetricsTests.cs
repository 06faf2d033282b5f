using System.Net;
using System.Text.RegularExpressions;
using KalkiEdge.Core;
using KalkiEdge.DataPlane.Live;
using KalkiEdge.Export.Eve;
using KalkiEdge.ControlPlane.Registry;
using KalkiEdge.Export.Events;
using KalkiEdge.Management.Metrics;
using KalkiEdge.UnitTests.Live;
using KalkiEdge.UnitTests.Registry;

namespace KalkiEdge.UnitTests.Management;

/// <summary>GET /metrics through the real HTTP pipeline: authenticated by default, open only when the site says so, in valid Prometheus text.</summary>
public partial class MetricsTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("kalki-metrics-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public async Task Metrics_need_a_sign_in_and_count_frames_alerts_transitions_states_and_live_clients()
    {
        await using var app = await ManagementApp.StartAsync(_dir);
        using var anonymous = app.Browser();
        Assert.That((await anonymous.GetAsync("/metrics")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));

        using var browser = await app.SignedInAsync();
        using var live = await app.SignedInAsync();
        using var stream = new StreamReader(await live.GetStreamAsync("/api/events"));
        Assert.That(await stream.ReadLineAsync(), Is.EqualTo(": connected"));
        app.Site.FromDevice(RegistrySite.ConfigCameraMac, RegistrySite.ConfigCameraIp);
        app.Site.Appliance.Alerts.Raise(new Alert(AlertTypes.PortScan, "cam1", AlertSource.Umbox, 1_000_000, "scan") { Count = 3 });
        app.Site.Appliance.EndFrame();

        var response = await browser.GetAsync("/metrics");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType!.ToString(), Does.StartWith("text/plain; version=0.0.4"));
        var samples = Parse(await response.Content.ReadAsStringAsync());
        Assert.That(samples["kalki_frames_total"], Is.EqualTo(1));
        Assert.That(samples["kalki_device_frames_total{device=\"cam1\",verdict=\"forwarded\"}"] + samples["kalki_device_frames_total{device=\"cam1\",verdict=\"dropped\"}"], Is.EqualTo(1));
        Assert.That(samples["kalki_alerts_total{type=\"port-scan\"}"], Is.EqualTo(3), "an aggregated alert counts as many as it stands for");
        Assert.That(samples["kalki_transitions_total"], Is.EqualTo(1));
        Assert.That(samples["kalki_reaction_seconds_count"], Is.EqualTo(1));
        Assert.That(samples["kalki_reaction_seconds_bucket{le=\"+Inf\"}"], Is.EqualTo(1));
        Assert.That(samples["kalki_devices{state=\"Suspicious\"}"], Is.EqualTo(1));
        Assert.That(samples["kalki_dashboard_clients"], Is.EqualTo(1));
        Assert.That(samples["kalki_alert_queue_alerts_total{outcome=\"raised\"}"], Is.GreaterThanOrEqualTo(1));
        Assert.That(samples, Does.ContainKey("kalki_store_queue_depth").And.ContainKey("kalki_dashboard_stream_queue_depth"));
        Assert.That(samples["process_resident_memory_bytes"], Is.GreaterThan(1_000_000));
    }

    [Test]
    public async Task Metrics_show_capture_loss_per_port_and_the_depth_and_drops_of_every_export_queue()
    {
        await using var app = await ManagementApp.StartAsync(_dir);
        // The live bridge's own statistics path, over in-memory ports whose capture ring reports drops.
        using var device = new FakePort("eth1") { RingDropped = 7 };
        using var uplink = new FakePort("eth0");
        using var bridge = new Bridge(app.Site.Appliance.Engine, app.Site.Appliance.CreateContext, [device], uplink, new ManagementFilter([], []));
        app.Context.Metrics.WatchPorts(bridge.RefreshStatistics);
        // A stopped EVE file sink drops (and counts) every event it is handed, so its loss is known exactly.
        var eve = new EveFileSink(new EveFileOptions(Path.Combine(_dir, "eve.json")));
        eve.Dispose();
        var published = new CountingSink();
        app.Hub.Add(eve).Add(published);
        using var browser = await app.SignedInAsync();

        for (int i = 0; i < 3; i++)
        {
            app.Site.Appliance.Alerts.Raise(new Alert(AlertTypes.PortScan, "cam1", AlertSource.Umbox, 1_000_000 + i, "scan"));
            app.Site.Appliance.EndFrame();
        }

        var samples = Parse(await browser.GetStringAsync("/metrics"));
        Assert.That(samples["kalki_capture_lost_total{port=\"eth1\",reason=\"ring\"}"], Is.EqualTo(7));
        Assert.That(samples["kalki_capture_lost_total{port=\"eth0\",reason=\"ring\"}"], Is.Zero);
        Assert.That(samples, Does.ContainKey("kalki_capture_lost_total{port=\"eth1\",reason=\"interface\"}").And.ContainKey("kalki_port_frames_total{direction=\"sent\",port=\"eth0\"}"));
        Assert.That(published.Count, Is.GreaterThanOrEqualTo(3));
        Assert.That(samples["kalki_sink_events_dropped_total{sink=\"eve-file\"}"], Is.EqualTo(published.Count));
        Assert.That(samples["kalki_sink_queue_depth{sink=\"eve-file\"}"], Is.Zero);
        Assert.That(samples["kalki_store_queue_depth"], Is.GreaterThanOrEqualTo(0));

        device.RingDropped = 12;
        samples = Parse(await browser.GetStringAsync("/metrics"));
        Assert.That(samples["kalki_capture_lost_total{port=\"eth1\",reason=\"ring\"}"], Is.EqualTo(12), "read at scrape time, not cached");
    }

    [Test]
    public async Task With_metrics_open_only_metrics_answer_without_a_sign_in()
    {
        await using var app = await ManagementApp.StartAsync(_dir, metricsOpen: true);
        using var anonymous = app.Browser();
        var metrics = await anonymous.GetAsync("/metrics");
        Assert.That(metrics.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(Parse(await metrics.Content.ReadAsStringAsync())["kalki_devices{state=\"Normal\"}"], Is.EqualTo(1));
        Assert.That((await anonymous.GetAsync("/api/devices")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That((await anonymous.GetAsync("/api/overview")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Per_device_series_are_kept_for_the_minimum_number_of_devices_and_devices_beyond_it_fold_into_one_overflow_series()
    {
        await using var app = await ManagementApp.StartAsync(_dir, metricsOpen: true);
        var configured = app.Site.Appliance.Engine.Devices.Count;
        Assert.That(MetricsEndpoint.DeviceSeriesLimit(configured), Is.EqualTo(2 * MetricsEndpoint.MinimumSeriesDevices), "a small site gets the minimum");
        Assert.That(MetricsEndpoint.DeviceSeriesLimit(5_000), Is.EqualTo(20_000), "a large one twice its devices");
        // Paired at run time, past the limit the provider was built with.
        var paired = MetricsEndpoint.MinimumSeriesDevices + 8 - configured;
        for (int i = 0; i < paired; i++)
        {
            var spec = new DeviceSpec($"plug{i}", $"02:00:00:01:{i >> 8:x2}:{i & 0xff:x2}", [$"2001:db8::{i + 1:x}"]) { Chain = "firewall(default: drop)" };
            Assert.That(app.Site.Appliance.Registry.Add(spec, "alice").Succeeded, Is.True, spec.Name);
        }

        using var anonymous = app.Browser();
        var samples = Parse(await anonymous.GetStringAsync("/metrics"));
        var series = samples.Keys.Where(k => k.StartsWith("kalki_device_frames_total{", StringComparison.Ordinal)).ToList();
        var overflow = series.Where(k => k.Contains("otel_metric_overflow=\"true\"", StringComparison.Ordinal)).ToList();
        Assert.That(overflow, Has.Count.EqualTo(1), "the devices beyond the limit share one series");
        Assert.That(series.Count - overflow.Count, Is.EqualTo(MetricsEndpoint.DeviceSeriesLimit(configured)), "every series of the limit is a device's");
        Assert.That(samples, Does.ContainKey("kalki_device_frames_total{device=\"plug0\",verdict=\"dropped\"}"));
    }

    private sealed class CountingSink : IEventSink
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Publish(ApplianceEvent e) => Interlocked.Increment(ref _count);
    }

    /// <summary>
    /// Reads the text format strictly: every sample's family was declared by HELP and TYPE before it, names and
    /// labels are well formed, values are numbers; returns sample (with its labels, in the order written) → value.
    /// </summary>
    private static Dictionary<string, double> Parse(string text)
    {
        Assert.That(text, Does.EndWith("\n"));
        var declared = new HashSet<string>(StringComparer.Ordinal);
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.TrimEnd('\n').Split('\n'))
        {
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                continue;
            }

            if (TypeLine().Match(line) is { Success: true } type)
            {
                Assert.That(declared.Add(type.Groups[1].Value), Is.True, $"family declared twice: {line}");
                continue;
            }

            var sample = SampleLine().Match(line);
            Assert.That(sample.Success, Is.True, $"not a Prometheus sample line: '{line}'");
            var name = sample.Groups["name"].Value;
            var family = Regex.Replace(name, "_(bucket|sum|count)$", "");
            Assert.That(declared.Contains(name) || declared.Contains(family), Is.True, $"sample before its TYPE: {line}");
            var labels = sample.Groups["labels"].Value is "{}" ? "" : sample.Groups["labels"].Value; // an empty label set is no label set
            samples.Add(name + labels, sample.Groups["value"].Value == "+Inf" ? double.PositiveInfinity : double.Parse(sample.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture));
        }

        return samples;
    }

    [GeneratedRegex(@"^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$")]
    private static partial Regex TypeLine();

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?<labels>\{([a-zA-Z_][a-zA-Z0-9_]*=""([^""\\\n]|\\[\\""n])*"",?)*\})? (?<value>[-+]?([0-9.eE+-]+|Inf)|NaN)$")]
    private static partial Regex SampleLine();
}
