namespace KalkiEdge.Panel.Display;

/// <summary>
/// Decides what the display shows: pages rotate every <c>rotate</c>; a device going to Attack, a pairing window
/// opening, a pairing result, a fail-closed condition or an armed factory reset interrupts the rotation at once and holds for one period. The
/// display is written only when the text changes; a failing display (unplugged) is retried with exponential
/// backoff up to 30 s, and nothing waits for it.
/// </summary>
public sealed class PanelScreen(ICharacterDisplay display, TimeSpan rotate, TimeProvider time, Action<string>? log = null)
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private PanelStatus? _previous;
    private PanelPage _page = PanelPage.Counts;
    private long _pageSince = time.GetTimestamp();
    private string[]? _shown;
    private long _retryAt;
    private int _failures;

    public PanelPage Page => _page;

    /// <summary>Consecutive failed writes (0 when the display works).</summary>
    public int Failures => _failures;

    /// <summary>Called periodically (a few times a second) with the appliance's state.</summary>
    public void Tick(PanelStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        if (Interrupt(status, _previous) is { } urgent)
        {
            Show(urgent);
        }
        else if (time.GetElapsedTime(_pageSince) >= rotate)
        {
            Show(_page >= PanelPage.FailClosed ? PanelPage.Counts : (PanelPage)(((int)_page + 1) % PanelPages.RotatedPages));
        }

        _previous = status;
        Draw(PanelPages.Render(status, _page, display.Columns, display.Rows));
    }

    /// <summary>What must be seen at once; the first status is the baseline, not news.</summary>
    private static PanelPage? Interrupt(PanelStatus now, PanelStatus? before) =>
        now.ResetArmed ? PanelPage.FactoryReset
        : before is null ? null
        : now.FailClosed is not null && now.FailClosed != before.FailClosed ? PanelPage.FailClosed
        : now.Attack > before.Attack ? PanelPage.Alert
        : now.LastPaired is not null && !ReferenceEquals(now.LastPaired, before.LastPaired) ? PanelPage.Pairing
        : now.PairingSeconds > 0 && before.PairingSeconds == 0 ? PanelPage.Pairing
        : null;

    private void Show(PanelPage page)
    {
        _page = page;
        _pageSince = time.GetTimestamp();
    }

    private void Draw(string[] lines)
    {
        if (_shown is not null && _shown.AsSpan().SequenceEqual(lines))
        {
            return;
        }

        var now = time.GetTimestamp();
        if (_failures > 0 && now < _retryAt)
        {
            return;
        }

        try
        {
            display.Show(lines);
            if (_failures > 0)
            {
                log?.Invoke($"panel: display is back after {_failures} failed write(s)");
            }

            _failures = 0;
            _shown = lines;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException or TimeoutException)
        {
            _failures++;
            _shown = null;
            var backoff = TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, Math.Pow(2, _failures - 1)));
            _retryAt = now + (long)(backoff.TotalSeconds * time.TimestampFrequency);
            if (_failures == 1)
            {
                log?.Invoke($"panel: display write failed ({e.Message}); retrying with backoff up to {MaxBackoff.TotalSeconds:F0} s");
            }
        }
    }
}
