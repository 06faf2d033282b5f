using KalkiEdge.Core.Policy;

namespace KalkiEdge.UnitTests.Policy;

public class EvAndTelemetryTests
{
    [TestCase(ValueKind.Bool, "true", ">", "false", true)]
    [TestCase(ValueKind.Bool, "true", "==", "true", true)]
    [TestCase(ValueKind.Bool, "false", "!=", "true", true)]
    [TestCase(ValueKind.Int, "-3", "<", "2", true)]
    [TestCase(ValueKind.Int, "7", ">=", "8", false)]
    [TestCase(ValueKind.Decimal, "21.5", ">", "21.49", true)]
    [TestCase(ValueKind.Decimal, "0.1", "<=", "0.10", true)]
    [TestCase(ValueKind.String, "1.2.0", "==", "1.2.0", true)]
    [TestCase(ValueKind.String, "abc", "<", "abd", true)]
    [TestCase(ValueKind.Timestamp, "2026-01-01T00:00:00Z", "<", "2026-01-01T00:00:01Z", true)]
    [TestCase(ValueKind.Timestamp, "2026-01-01T00:00:00Z", "!=", "2026-01-01T00:00:00Z", false)]
    public void Compares_every_value_kind(ValueKind kind, string left, string op, string right, bool expected)
    {
        Assert.That(EvValue.TryParse(kind, left, out var l, out _), Is.True);
        Assert.That(EvValue.TryParse(kind, right, out var r, out _), Is.True);
        Assert.That(ComparisonText.TryParse(op, out var o), Is.True);
        Assert.That(l.Satisfies(o, r), Is.EqualTo(expected));
    }

    [TestCase(ValueKind.Bool, "yes")]
    [TestCase(ValueKind.Int, "1.5")]
    [TestCase(ValueKind.Decimal, "abc")]
    [TestCase(ValueKind.Timestamp, "yesterday")]
    public void Rejects_values_of_the_wrong_kind(ValueKind kind, string text)
    {
        Assert.That(EvValue.TryParse(kind, text, out _, out var error), Is.False);
        Assert.That(error, Does.Contain(text));
    }

    [Test]
    public void Aggregates_fold_the_last_readings()
    {
        EvValue[] v = [EvValue.Of(2L), EvValue.Of(9L), EvValue.Of(4L)];
        Assert.That(TelemetryConditionEvaluator.Fold(Aggregate.Sum, v), Is.EqualTo(EvValue.Of(15L)));
        Assert.That(TelemetryConditionEvaluator.Fold(Aggregate.Average, v), Is.EqualTo(EvValue.Of(5m)));
        Assert.That(TelemetryConditionEvaluator.Fold(Aggregate.Min, v), Is.EqualTo(EvValue.Of(2L)));
        Assert.That(TelemetryConditionEvaluator.Fold(Aggregate.Max, v), Is.EqualTo(EvValue.Of(9L)));
        var none = new EvComparison("x", Comparison.Greater, EvValue.Of(3L), default, 3);
        Assert.That(TelemetryConditionEvaluator.Evaluate(none, v), Is.False, "none: every reading must satisfy");
        Assert.That(TelemetryConditionEvaluator.Evaluate(none with { Value = EvValue.Of(1L) }, v), Is.True);
    }

    [Test]
    public void Telemetry_condition_raises_once_when_it_becomes_true()
    {
        var pack = PolicyTestPacks.Load(PolicyTestPacks.Camera);
        var t = new TelemetryConditionEvaluator(pack.TelemetryAlerts);
        Assert.That(t.OnReading("temp", EvValue.Of(80m)), Is.Empty, "needs 3 readings");
        Assert.That(t.OnReading("temp", EvValue.Of(80m)), Is.Empty);
        Assert.That(t.OnReading("temp", EvValue.Of(20m)), Is.Empty, "average 60");
        Assert.That(t.OnReading("temp", EvValue.Of(120m)), Is.EqualTo(new[] { "overheat" }), "average 73.3");
        Assert.That(t.OnReading("temp", EvValue.Of(90m)), Is.Empty, "still true: no second alert");
        Assert.That(t.OnReading("temp", EvValue.Of(0m)), Is.Empty);
        Assert.That(t.OnReading("temp", EvValue.Of(0m)), Is.Empty, "false again");
        Assert.That(t.OnReading("temp", EvValue.Of(300m)), Is.EqualTo(new[] { "overheat" }));
        Assert.That(t.Latest["temp"], Is.EqualTo(EvValue.Of(300m)));
    }

    [Test]
    public void Availability_watch_raises_once_per_outage()
    {
        var w = new AvailabilityWatch(10_000_000, 3, startMicros: 0);
        Assert.That(w.CheckUnavailable(30_000_000), Is.False, "exactly 3 intervals is still in time");
        Assert.That(w.CheckUnavailable(30_000_001), Is.True);
        Assert.That(w.CheckUnavailable(60_000_000), Is.False, "already reported");
        w.OnReading(61_000_000);
        Assert.That(w.CheckUnavailable(80_000_000), Is.False);
        Assert.That(w.CheckUnavailable(92_000_000), Is.True);
    }
}
