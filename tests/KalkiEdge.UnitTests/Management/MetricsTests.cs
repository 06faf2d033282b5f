using System.Net;
using System.Text.RegularExpressions;
using KalkiEdge.Core;
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

    /// <summary>
    /// Reads the text format strictly: every sample's family was declared by HELP and TYPE before it, names and
    /// labels are well formed, values are numbers; returns sample (with its labels) → value.
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
            samples.Add(name + sample.Groups["labels"].Value, sample.Groups["value"].Value == "+Inf" ? double.PositiveInfinity : double.Parse(sample.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture));
        }

        return samples;
    }

    [GeneratedRegex(@"^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$")]
    private static partial Regex TypeLine();

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?<labels>\{([a-zA-Z_][a-zA-Z0-9_]*=""([^""\\\n]|\\[\\""n])*"",?)*\})? (?<value>[-+]?([0-9.eE+-]+|Inf)|NaN)$")]
    private static partial Regex SampleLine();
}
