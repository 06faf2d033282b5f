namespace KalkiEdge.Core.Policy;

/// <summary>
/// Evaluates a pack's telemetry alert conditions for one device as readings arrive. Keeps the last N readings per
/// sensor (N = the largest window any condition needs). A condition raises its alert when it becomes true
/// (edge-triggered), so a sensor stuck above a threshold raises one alert, not one per reading.
/// </summary>
public sealed class TelemetryConditionEvaluator
{
    private readonly IReadOnlyList<TelemetryAlertCondition> _conditions;
    private readonly Dictionary<string, Readings> _readings = new(StringComparer.Ordinal);
    private readonly bool[] _wasTrue;

    public TelemetryConditionEvaluator(IReadOnlyList<TelemetryAlertCondition> conditions)
    {
        _conditions = conditions;
        _wasTrue = new bool[conditions.Count];
        foreach (var term in conditions.SelectMany(c => c.Terms))
        {
            var depth = Math.Max(term.Last, _readings.TryGetValue(term.Sensor, out var r) ? r.Capacity : 1);
            _readings[term.Sensor] = new Readings(depth);
        }
    }

    /// <summary>Latest value per sensor (for rule EV comparisons).</summary>
    public Dictionary<string, EvValue> Latest { get; } = new(StringComparer.Ordinal);

    /// <summary>Records a reading and returns the alert types whose condition just became true.</summary>
    public IReadOnlyList<string> OnReading(string sensor, EvValue value)
    {
        Latest[sensor] = value;
        if (!_readings.TryGetValue(sensor, out var readings))
        {
            return [];
        }

        readings.Add(value);
        List<string>? raised = null;
        for (int i = 0; i < _conditions.Count; i++)
        {
            var c = _conditions[i];
            if (!c.Terms.Any(t => t.Sensor == sensor))
            {
                continue;
            }

            bool now = Holds(c);
            if (now && !_wasTrue[i])
            {
                (raised ??= []).Add(c.AlertType);
            }

            _wasTrue[i] = now;
        }

        return raised ?? (IReadOnlyList<string>)[];
    }

    private bool Holds(TelemetryAlertCondition c) =>
        c.Combine == Combine.All ? c.Terms.All(TermHolds) : c.Terms.Any(TermHolds);

    private bool TermHolds(EvComparison term)
    {
        var values = _readings[term.Sensor].LastN(term.Last);
        return values is not null && Evaluate(term, values);
    }

    /// <summary>Applies a term to readings (oldest first). Exposed for tests and the checker.</summary>
    public static bool Evaluate(EvComparison term, IReadOnlyList<EvValue> values)
    {
        if (values.Count == 0)
        {
            return false;
        }

        if (term.Aggregate == Aggregate.None)
        {
            return values.All(v => v.Satisfies(term.Op, term.Value));
        }

        return Fold(term.Aggregate, values).Satisfies(term.Op, term.Value);
    }

    /// <summary>Sum and average are numeric (the checker rejects them on strings); min/max order any kind.</summary>
    public static EvValue Fold(Aggregate aggregate, IReadOnlyList<EvValue> values)
    {
        switch (aggregate)
        {
            case Aggregate.Sum:
            case Aggregate.Average:
                decimal sum = 0;
                foreach (var v in values)
                {
                    sum += v.AsDecimal;
                }

                var result = aggregate == Aggregate.Sum ? sum : sum / values.Count;
                return values[0].Kind == ValueKind.Int && aggregate == Aggregate.Sum ? EvValue.Of((long)result) : EvValue.Of(result);
            default:
                var best = values[0];
                foreach (var v in values)
                {
                    int c = v.CompareTo(best);
                    if ((aggregate == Aggregate.Min && c < 0) || (aggregate == Aggregate.Max && c > 0))
                    {
                        best = v;
                    }
                }

                return best;
        }
    }

    /// <summary>A fixed-size ring of the latest readings of one sensor.</summary>
    private sealed class Readings(int capacity)
    {
        private readonly EvValue[] _ring = new EvValue[capacity];
        private int _next;
        private int _count;

        public int Capacity => _ring.Length;

        public void Add(EvValue v)
        {
            _ring[_next] = v;
            _next = (_next + 1) % _ring.Length;
            _count = Math.Min(_count + 1, _ring.Length);
        }

        /// <summary>The last n readings, oldest first; null until n readings exist.</summary>
        public EvValue[]? LastN(int n)
        {
            if (_count < n)
            {
                return null;
            }

            var result = new EvValue[n];
            for (int i = 0; i < n; i++)
            {
                result[i] = _ring[((_next - n + i) % _ring.Length + _ring.Length) % _ring.Length];
            }

            return result;
        }
    }
}

/// <summary>
/// Decides when a device is unavailable: its monitor missed its readings for <c>multiple</c> × its sampling
/// interval. Raises once per outage; a new reading ends the outage. Pure: the caller supplies the clock.
/// </summary>
public sealed class AvailabilityWatch(long samplingIntervalMicros, double missedMultiple, long startMicros)
{
    private long _lastReading = startMicros;
    private bool _reported;

    public long SamplingIntervalMicros { get; set; } = samplingIntervalMicros;

    public long LastReadingMicros => _lastReading;

    public void OnReading(long timeMicros)
    {
        _lastReading = Math.Max(_lastReading, timeMicros);
        _reported = false;
    }

    /// <summary>True exactly once when the device has been silent too long.</summary>
    public bool CheckUnavailable(long nowMicros)
    {
        if (_reported || nowMicros - _lastReading <= (long)(SamplingIntervalMicros * missedMultiple))
        {
            return false;
        }

        _reported = true;
        return true;
    }
}
