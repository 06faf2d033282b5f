using System.Text.Json;

namespace KalkiEdge.Core;

/// <summary>A transition's reaction trace as the `stages` object both JSON outputs (JSON lines and EVE) carry.</summary>
public static class TransitionStagesJson
{
    public static void WriteStages(this Utf8JsonWriter w, TransitionEvent transition)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(transition);
        w.WriteStartObject("stages");
        w.WriteNumber("stimulus", transition.StimulusMicros);
        w.WriteNumber("trigger", transition.TriggerMicros);
        w.WriteNumber("react", transition.ReactMicros);
        w.WriteNumber("finish", transition.FinishMicros);
        w.WriteEndObject();
    }
}
