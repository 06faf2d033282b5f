using KalkiEdge.Core;
using KalkiEdge.Panel.Pairing;

namespace KalkiEdge.Appliance.Output;

/// <summary>Human-readable live output for `make run` and replays without --json.</summary>
public sealed class ConsoleObserver(TextWriter output) : IApplianceObserver
{
    public void OnAlert(Alert alert) => Write(alert.TimeMicros, "ALERT", $"{alert.Device,-14} {alert.Type,-20} {alert.Info}{(alert.Count > 1 ? $" (x{alert.Count})" : "")}");

    public void OnTransition(TransitionEvent transition) => Write(
        transition.StimulusMicros,
        "STATE",
        $"{transition.Device,-14} {transition.From} -> {transition.To} by rule '{transition.Rule}'{(transition.Image is { } i ? $", chain {i}" : "")} in {transition.ReactionMicros} µs");

    public void OnMalformed(long frameNumber, string device, string reason) => Write(0, "DROP", $"{device,-14} frame {frameNumber} malformed: {reason}");

    public void OnUmboxLog(string device, string element, long timeMicros, string message) => Write(timeMicros, "LOG", $"{device,-14} {element}: {message}");

    /// <summary>A pairing result: the device, its pack and confidence, or why it was not admitted.</summary>
    public void OnPaired(AdmissionResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var v = result.Verdict;
        Write(0, "PAIR", result.Admitted
            ? $"{v.DeviceName,-14} {DataPlane.Mac.Format(v.Mac)} paired as {v.Pack} ({v.Confidence}%){(v.NeedsReview ? ", needs review" : "")}: {v.Evidence}"
            : $"{DataPlane.Mac.Format(v.Mac)} not admitted: {result.Detail}");
    }

    private void Write(long micros, string kind, string text)
    {
        var time = micros > 0 ? Time.Iso(micros)[11..23] : new string(' ', 12);
        lock (output)
        {
            output.WriteLine($"{time} {kind,-5} {text}");
            output.Flush();
        }
    }
}
