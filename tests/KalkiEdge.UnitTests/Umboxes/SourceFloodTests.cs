using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Elements;
using KalkiEdge.UnitTests.Support;
using static KalkiEdge.UnitTests.Umboxes.AppTestSupport;

namespace KalkiEdge.UnitTests.Umboxes;

/// <summary>
/// The flood every source-tracking element must survive: 100,000 distinct IPv6 sources, twice. The first flood
/// may only grow the element's tables to their capacity; the second, at capacity, allocates nothing per frame
/// and recycles entries. The templates are benign, so no alert may come of them.
/// </summary>
public class SourceFloodTests
{
    private static readonly TestCaseData[] SourceTrackingElements =
    [
        Case<HttpAuthGuard>("http-auth-guard(max-logins: 5, max-sources: 2048)", HttpV6("2001:db8::1", 80, Request("GET", "/", Basic("alice:secret"))), 2048, e => (e.TableCapacity, e.Evictions)),
        Case<HueGuard>("hue-guard(max-sources: 1024)", HttpV6("2001:db8::1", 80, Request("GET", "/api/tok/lights")), 1024, e => (e.TableCapacity, e.Evictions)),
        Case<BruteForce>("brute-force(port: 22, attempts: 5, window: 10s, max-sources: 1024)", SynV6("2001:db8::1"), 1024, e => (e.TableCapacity, e.Evictions), StillDetectsABruteForce),
    ];

    [TestCaseSource(nameof(SourceTrackingElements))]
    public void A_hundred_thousand_sources_keep_the_tables_bounded_and_allocate_nothing_per_frame(
        string chain, byte[] template, int capacity, Func<Element, (int Capacity, long Evictions)> table, Action<ChainHarness>? afterwards)
    {
        var h = new ChainHarness(chain);
        long growth = FloodFromDistinctV6Sources(h, template, 100_000);
        long allocated = FloodFromDistinctV6Sources(h, template, 100_000);
        Assert.That(growth, Is.LessThan(4_000_000), "the first flood only grows the tables to their capacity");
        Assert.That(allocated, Is.LessThan(10_000), "at capacity nothing is allocated per frame");
        var (tableCapacity, evictions) = table(h.Chain.Elements[0]);
        Assert.That(tableCapacity, Is.EqualTo(capacity));
        Assert.That(evictions, Is.GreaterThan(190_000));
        Assert.That(h.Sink.Alerts, Is.Empty);
        afterwards?.Invoke(h);
    }

    private static TestCaseData Case<T>(string chain, byte[] template, int capacity, Func<T, (int, long)> table, Action<ChainHarness>? afterwards = null)
        where T : Element =>
        new TestCaseData(chain, template, capacity, (Func<Element, (int, long)>)(e => table((T)e)), afterwards)
            .SetArgDisplayNames(chain[..chain.IndexOf('(', StringComparison.Ordinal)]);

    private static void StillDetectsABruteForce(ChainHarness h)
    {
        for (int i = 0; i < 5; i++)
        {
            h.Run(Syn(Frames.AttackerIp));
        }

        Assert.That(h.Sink.Alerts, Has.Count.EqualTo(1), "still detects after the flood");
    }
}
