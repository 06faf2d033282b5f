namespace KalkiEdge.Umboxes.Application;

/// <summary>
/// For every table slot, the times of its last <c>depth</c> events, in one flat preallocated array. Answers
/// "were there at least depth events within the window?" exactly (a sliding window, not fixed buckets, so an
/// attacker cannot hide a burst by straddling a bucket boundary).
/// </summary>
internal sealed class EventRings
{
    private readonly long[] _times;
    private readonly int[] _next;
    private readonly int[] _filled;
    private readonly int _depth;

    public EventRings(int slots, int depth)
    {
        _depth = depth;
        _times = new long[checked(slots * depth)];
        _next = new int[slots];
        _filled = new int[slots];
    }

    public void Reset(int slot)
    {
        _next[slot] = 0;
        _filled[slot] = 0;
    }

    /// <summary>Records an event at <paramref name="now"/>; true when the last depth events all lie within the window.</summary>
    public bool AddAndCheck(int slot, long now, long windowMicros)
    {
        int baseIndex = slot * _depth;
        int next = _next[slot];
        _times[baseIndex + next] = now;
        next = next + 1 == _depth ? 0 : next + 1;
        _next[slot] = next;
        if (_filled[slot] < _depth)
        {
            _filled[slot]++;
        }

        return FullWithin(slot, now, windowMicros);
    }

    /// <summary>True when the slot's last depth events all lie within the window ending now.</summary>
    public bool FullWithin(int slot, long now, long windowMicros) =>
        // When full, "next" points at the oldest of the last depth events.
        _filled[slot] == _depth && now - _times[(slot * _depth) + _next[slot]] < windowMicros;
}
