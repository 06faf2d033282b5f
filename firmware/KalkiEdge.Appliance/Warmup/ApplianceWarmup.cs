using System.Diagnostics;
using System.Runtime.CompilerServices;
using KalkiEdge.Appliance.Config;
using KalkiEdge.Appliance.Output;
using KalkiEdge.Appliance.Replay;
using KalkiEdge.Appliance.Simulation;
using KalkiEdge.Core;

namespace KalkiEdge.Appliance.Warmup;

/// <summary>What the warm-up did and how long each part took; <see cref="Problems"/> is empty when it did all of it.</summary>
public sealed record WarmupReport(long ScenarioFrames, int ScenarioTransitions, bool StoreWritten, IReadOnlyList<string> Problems, long ScenarioMilliseconds, long ElapsedMilliseconds)
{
    /// <summary>The alert types the scenario raised: each one's path, from the element to the alert queue, is compiled.</summary>
    public IReadOnlyCollection<string> AlertTypes { get; init; } = [];

    /// <summary>Why the scenario was not played (empty when it was).</summary>
    public string ScenarioSkipped { get; init; } = "";

    public override string ToString()
    {
        var scenario = ScenarioSkipped.Length > 0
            ? $"scenario not played ({ScenarioSkipped})"
            : $"{ScenarioFrames} scenario frames, {ScenarioTransitions} transitions, alerts of {AlertTypes.Count} types ({string.Join(", ", AlertTypes.Order(StringComparer.Ordinal))}) in {ScenarioMilliseconds} ms";
        return $"{scenario}; store {(StoreWritten ? "first write committed" : "not written")}; {ElapsedMilliseconds} ms";
    }
}

/// <summary>
/// Before live traffic, so that the first attack after a start is met as fast as the hundredth (measured on the live
/// testbed: without it the first transition of a run took 9–80 ms, all of it JIT on the alert path; after it
/// ~0.1 ms like every other one). A path the scenario does not take is compiled by the first live frame that takes it,
/// on the capture thread, inside the reaction: the scenario's camera logins are dropped by the camera's strict chain
/// (it blocks the attacker for its port scan), so http-auth-guard's login path used to be compiled by the first live
/// login, 34 methods and ~3 ms on the live testbed, the whole of the first reaction's excess over the others.
/// <list type="number">
/// <item>plays the bundled scenario (<see cref="Traffic"/>) through a throwaway appliance built from the simulation profile and its
/// bundled μmbox packs — whatever the site's own umboxes directory holds — persisting to a scratch store and
/// reporting through a console observer, so the elements' alert paths, the alert queue, the policy engine, chain
/// deployment, the store writer and the alert output are compiled by the JIT;</item>
/// <item>makes the real store's first committed write (an audit record of the start) through the real writer, so
/// its connection, statements and WAL are in use before the first reaction is written.</item>
/// </list>
/// Native code (NativeAOT: <see cref="RuntimeFeature.IsDynamicCodeCompiled"/> is false) has nothing to compile, so
/// <see cref="StoreOnly"/> makes the store's first write and plays no scenario: the scenario's throwaway appliance
/// would only delay the bridge and leave its garbage on the heap.
/// It does not wait for tiered compilation to go quiet. It used to (300 ms without a method compiled, at most 5 s),
/// and that wait kept the bridge closed after every restart, against a 5 s bound from systemd's restart to traffic
/// (the crash-restart test's restarts took 1.3–1.6 s, or 4.4–5.2 s when the runtime was slow to go quiet).
/// The optimising recompilation of the warmed methods runs in the background instead, below the capture threads'
/// real-time priority; the warmed paths are compiled already, which is what the first reaction needs.
/// </summary>
public static class ApplianceWarmup
{
    private static readonly TimeSpan StoreWriteLimit = TimeSpan.FromSeconds(10);

    /// <param name="real">The appliance about to serve traffic.</param>
    /// <param name="profile">The simulation profile (devices of the bundled scenario, bundled umboxes).</param>
    /// <param name="start">What is starting, for the audit record.</param>
    public static WarmupReport Run(EdgeAppliance real, SiteConfig profile, string start)
    {
        ArgumentNullException.ThrowIfNull(real);
        ArgumentNullException.ThrowIfNull(profile);
        var watch = Stopwatch.StartNew();
        var problems = new List<string>();
        var (frames, transitions, alertTypes) = PlayScenario(profile, problems);
        var scenario = watch.ElapsedMilliseconds;
        var written = FirstStoreWrite(real, start, problems);
        return new WarmupReport(frames, transitions, written, problems, scenario, watch.ElapsedMilliseconds) { AlertTypes = alertTypes };
    }

    /// <summary>
    /// The bundled scenario, and the same logins against the sensor, which no earlier attack has moved: its
    /// http-auth-guard reads them, raises max-login-attempts in Normal and default-login in Suspicious.
    /// </summary>
    public static Timeline Traffic()
    {
        var timeline = SiteScenario.Build();
        SiteScenario.HttpLogins(timeline, SiteScenario.DefaultStartMicros + 14_000_000, SiteScenario.Attacker, SiteScenario.Sensor, "/");
        return timeline;
    }

    /// <summary>The store's first write alone: for a runtime that compiles nothing at run time (NativeAOT).</summary>
    public static WarmupReport StoreOnly(EdgeAppliance real, string start)
    {
        ArgumentNullException.ThrowIfNull(real);
        var watch = Stopwatch.StartNew();
        var problems = new List<string>();
        var written = FirstStoreWrite(real, start, problems);
        return new WarmupReport(0, 0, written, problems, 0, watch.ElapsedMilliseconds) { ScenarioSkipped = "native code: nothing to compile" };
    }

    private static (long Frames, int Transitions, IReadOnlyCollection<string> AlertTypes) PlayScenario(SiteConfig profile, List<string> problems)
    {
        var scratch = Directory.CreateTempSubdirectory("kalki-edge-warmup-");
        try
        {
            var config = new SiteConfig
            {
                File = profile.File,
                UmboxesDir = profile.UmboxesDir,
                DataDir = scratch.FullName,
                Devices = profile.Devices,
                NetworkBroadcastChain = profile.NetworkBroadcastChain,
                NetworkBroadcastAt = profile.NetworkBroadcastAt,
            };
            var diagnostics = new DiagnosticBag();
            var observer = new CountingObserver(new ConsoleObserver(TextWriter.Null));
            using var appliance = EdgeAppliance.Build(config, diagnostics, observer, persist: true);
            if (appliance is null)
            {
                problems.Add($"the warm-up appliance did not build: {diagnostics}");
                return (0, 0, []);
            }

            using var source = Traffic().ToSource("warm-up");
            var result = new ReplayRunner(appliance, observer).Run(source);
            if (observer.Transitions == 0)
            {
                problems.Add($"the bundled scenario made no transition in {result.Frames} frames");
            }

            return (result.Frames, observer.Transitions, observer.AlertTypes);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools(); // release the scratch store's files before deleting them
            scratch.Delete(recursive: true);
        }
    }

    private static bool FirstStoreWrite(EdgeAppliance real, string start, List<string> problems)
    {
        if (real.Store is not { } store)
        {
            return false; // runs in memory: nothing to write
        }

        store.Writer.Audit(real.Clock.NowMicros, "kalki-edge", "start", start);
        if (store.Writer.Flush(StoreWriteLimit) && store.Writer.LastError is null)
        {
            return true;
        }

        problems.Add($"the store's first write did not commit within {StoreWriteLimit.TotalSeconds} s: {store.Writer.LastError ?? "timeout"}");
        return false;
    }

    /// <summary>Counts transitions on the way to the real observer type, whose own code is what gets warmed.</summary>
    private sealed class CountingObserver(IApplianceObserver inner) : IApplianceObserver
    {
        public int Transitions { get; private set; }

        public HashSet<string> AlertTypes { get; } = new(StringComparer.Ordinal);

        public void OnAlert(Alert alert)
        {
            AlertTypes.Add(alert.Type);
            inner.OnAlert(alert);
        }

        public void OnTransition(TransitionEvent transition)
        {
            Transitions++;
            inner.OnTransition(transition);
        }

        public void OnMalformed(long frameNumber, string device, string reason) => inner.OnMalformed(frameNumber, device, reason);

        public void OnUmboxLog(string device, string element, long timeMicros, string message) => inner.OnUmboxLog(device, element, timeMicros, message);
    }
}
