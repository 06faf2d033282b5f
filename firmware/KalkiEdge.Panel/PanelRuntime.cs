using KalkiEdge.Panel.Button;
using KalkiEdge.Panel.Display;
using KalkiEdge.Panel.Pairing;

namespace KalkiEdge.Panel;

/// <summary>Erases the site's data (runtime devices, history, dashboard accounts) — never images, manifest or keys.</summary>
public interface IFactoryReset
{
    void Request();
}

/// <summary>
/// The panel at run time: gestures open, extend and cancel the pairing window and confirm a factory reset; a
/// timer on its own thread settles pairing candidates (live) and refreshes the display. Nothing here runs on a
/// capture thread and nothing on a capture thread waits for it.
/// </summary>
public sealed class PanelRuntime : IDisposable
{
    public static readonly TimeSpan TickPeriod = TimeSpan.FromMilliseconds(250);

    private readonly PanelScreen? _screen;
    private readonly DevicePairing? _pairing;
    private readonly ButtonGestures _gestures;
    private readonly Func<PanelStatus> _status;
    private readonly IFactoryReset _reset;
    private readonly TimeProvider _time;
    private readonly Action<string> _log;
    private readonly bool _settle;
    private ITimer? _timer;
    private Thread? _settler;
    private volatile bool _stopping;
    private int _ticking;

    /// <param name="settlePairing">True live; replay and the simulation settle pairing after each frame themselves.</param>
    public PanelRuntime(PanelScreen? screen, ButtonGestures gestures, DevicePairing? pairing, Func<PanelStatus> status, IFactoryReset reset, TimeProvider time, Action<string> log, bool settlePairing)
    {
        _screen = screen;
        _gestures = gestures ?? throw new ArgumentNullException(nameof(gestures));
        _pairing = pairing;
        _status = status ?? throw new ArgumentNullException(nameof(status));
        _reset = reset ?? throw new ArgumentNullException(nameof(reset));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _log = log ?? throw new ArgumentNullException(nameof(log));
        _settle = settlePairing;
        _gestures.Gesture += OnGesture;
    }

    public long NowMicros => (_time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks / 10;

    /// <summary>
    /// Starts the display's timer and, live, the settler: a thread that admits candidates as soon as their
    /// evidence decides them (woken by the capture threads), and at least every <see cref="TickPeriod"/> for the
    /// ones whose observation time or window ran out.
    /// </summary>
    public void Start()
    {
        _timer ??= _time.CreateTimer(_ => Tick(), null, TimeSpan.Zero, TickPeriod);
        if (_settle && _pairing is { } pairing && _settler is null)
        {
            _settler = new Thread(() => SettleLoop(pairing)) { IsBackground = true, Name = "panel-pairing" };
            _settler.Start();
        }
    }

    /// <summary>One refresh (the timer calls it; overlapping calls are skipped, never queued).</summary>
    public void Tick()
    {
        if (Interlocked.Exchange(ref _ticking, 1) == 1)
        {
            return;
        }

        try
        {
            if (_settle)
            {
                _pairing?.Settle(NowMicros);
            }

            _screen?.Tick(_status() with { ResetArmed = _gestures.ResetArmed });
        }
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
    }

    public void Dispose()
    {
        _gestures.Gesture -= OnGesture;
        _timer?.Dispose();
        _stopping = true;
        _settler?.Join(TickPeriod * 4);
    }

    private void SettleLoop(DevicePairing pairing)
    {
        while (!_stopping)
        {
            pairing.WaitForEvidence(TickPeriod);
            pairing.Settle(NowMicros);
        }
    }

    /// <summary>A gesture from elsewhere than the GPIO line (the simulation's keyboard).</summary>
    public void Apply(ButtonGesture gesture) => OnGesture(gesture);

    private void OnGesture(ButtonGesture gesture)
    {
        var now = NowMicros;
        switch (gesture)
        {
            case ButtonGesture.Pair when _pairing is not null:
                _pairing.Window.OpenOrExtend(now);
                _log($"panel: pairing window open, {_pairing.Window.RemainingSeconds(now)} s left");
                break;
            case ButtonGesture.CancelPairing when _pairing is not null:
                _pairing.Cancel(now);
                _log("panel: pairing cancelled");
                break;
            case ButtonGesture.FactoryResetArmed:
                _log($"panel: factory reset armed; press the button within {ButtonGestures.ConfirmWithin.TotalSeconds:F0} s to confirm");
                break;
            case ButtonGesture.FactoryReset:
                _log("panel: factory reset confirmed");
                _reset.Request();
                break;
        }

        Tick();
    }
}
