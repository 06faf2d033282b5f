using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace KalkiEdge.Management.Metrics;

/// <summary>
/// GET /metrics in the Prometheus text format, written by OpenTelemetry's Prometheus exporter from the appliance's
/// <see cref="ApplianceMetrics.Meter"/> at scrape time. Authenticated like the API unless the site config says
/// <c>management: { metrics: open }</c>.
/// </summary>
internal static class MetricsEndpoint
{
    public const string Path = "/metrics";

    /// <summary>Per-device series are kept for at least this many devices, however few the site configures.</summary>
    public const int MinimumSeriesDevices = 1_024;

    /// <summary>
    /// How many per-device series <c>kalki.device.frames</c> keeps: 2 per device (forwarded, dropped) for
    /// <see cref="MinimumSeriesDevices"/> or twice the devices configured at start, whichever is more, so devices
    /// paired later have room. Beyond it OpenTelemetry folds new devices into one overflow series
    /// (<c>otel_metric_overflow="true"</c>) instead of growing without bound. OpenTelemetry allocates every series
    /// of the limit when the instrument is created (about 90 bytes each with its lookup), so the limit follows the
    /// site: 32,768 series would hold 3 MB of a 10-device appliance's heap.
    /// </summary>
    public static int DeviceSeriesLimit(int configuredDevices) => 2 * Math.Max(MinimumSeriesDevices, 2 * configuredDevices);

    /// <summary>
    /// A provider that listens to <paramref name="meter"/> only: another appliance's meter of the same name in
    /// this process (tests run several) is not exported here.
    /// </summary>
    public static MeterProvider Provider(Meter meter, int configuredDevices) => Sdk.CreateMeterProviderBuilder()
        .AddMeter(meter.Name)
        .AddView(instrument => !ReferenceEquals(instrument.Meter, meter) ? MetricStreamConfiguration.Drop
            : instrument.Name == "kalki.device.frames" ? new MetricStreamConfiguration { CardinalityLimit = DeviceSeriesLimit(configuredDevices) }
            : null)
        .AddPrometheusExporter(o =>
        {
            o.ScrapeResponseCacheDurationMilliseconds = 0; // every scrape reads the counters now
            o.TargetInfoEnabled = false;
            o.ScopeInfoEnabled = false;
        })
        .Build();

    public static void Map(IEndpointRouteBuilder app, MeterProvider provider, bool open)
    {
        var endpoint = app.MapPrometheusScrapingEndpoint(Path, provider, configureBranchedPipeline: null!, optionsName: null!)
            .WithMetadata(new HttpMethodMetadata([HttpMethods.Get, HttpMethods.Head]))
            .ExcludeFromDescription();
        if (open)
        {
            endpoint.AllowAnonymous();
        }
    }
}
