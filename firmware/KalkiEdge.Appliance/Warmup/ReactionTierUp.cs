using System.Diagnostics;
using System.Runtime;
using KalkiEdge.Appliance.Config;

namespace KalkiEdge.Appliance.Warmup;

/// <summary>What <see cref="ReactionTierUp.Run"/> did: plays, the transitions they made, the methods the JIT compiled meanwhile.</summary>
public sealed record TierUpReport(int Plays, int Transitions, long MethodsCompiled, bool Quiet, bool Cancelled, IReadOnlyList<string> Problems, long ElapsedMilliseconds)
{
    public override string ToString()
    {
        var end = Cancelled ? "stopped early" : Quiet ? "recompilation quiet" : "recompilation still busy at the limit";
        return $"{Plays} plays, {Transitions} transitions, {MethodsCompiled} methods compiled, {end}; {ElapsedMilliseconds} ms";
    }
}

/// <summary>
/// Gets the reaction path optimised soon after a start instead of after its thirtieth real attack. The runtime
/// compiles a method quickly first and recompiles it optimised only once it has been called
/// <see cref="CallCountThreshold"/> times; <see cref="ApplianceWarmup"/> plays the scenario once, so the alert, policy
/// and chain-swap methods stay in their quick form until live attacks have called them that often (on the live
/// testbed the appliance's own reaction took 480–570 µs in that form, 320–390 µs fully optimised). This plays the
/// scenario again on throwaway appliances until each transition's path has run past the threshold, then waits for
/// the background recompilation to go quiet. It runs behind the open bridge, on a thread below the capture and
/// control threads' real-time priority, and is bounded in plays and time.
/// </summary>
public static class ReactionTierUp
{
    /// <summary>The runtime's default call count before a method is recompiled optimised (DOTNET_TC_CallCountThreshold).</summary>
    public const int CallCountThreshold = 30;

    private const int MaxPlays = 12;
    private static readonly TimeSpan QuietFor = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan QuietLimit = TimeSpan.FromSeconds(5);

    public static TierUpReport Run(SiteConfig profile, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var watch = Stopwatch.StartNew();
        var compiledBefore = JitInfo.GetCompiledMethodCount();
        var problems = new List<string>();
        int plays = 0, transitions = 0;
        while (transitions <= CallCountThreshold && plays < MaxPlays && !cancel.IsCancellationRequested)
        {
            var (_, made, _) = ApplianceWarmup.PlayScenario(profile, problems, cancel);
            plays++;
            transitions += made;
            if (problems.Count > 0)
            {
                break; // the warm-up before the bridge reported the same problem already; playing again changes nothing
            }
        }

        var quiet = !cancel.IsCancellationRequested && problems.Count == 0 && WaitForQuiet(cancel);
        return new TierUpReport(plays, transitions, JitInfo.GetCompiledMethodCount() - compiledBefore, quiet, cancel.IsCancellationRequested, problems, watch.ElapsedMilliseconds);
    }

    /// <summary>Starts <see cref="Run"/> on its own thread; <paramref name="done"/> gets its report.</summary>
    public static Thread StartInBackground(SiteConfig profile, Action<TierUpReport> done, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(done);
        var thread = new Thread(() => done(Run(profile, cancel)))
        {
            Name = "reaction-tier-up",
            IsBackground = true,
            Priority = ThreadPriority.BelowNormal,
        };
        thread.Start();
        return thread;
    }

    /// <summary>True once no method was compiled for <see cref="QuietFor"/>; false at <see cref="QuietLimit"/>.</summary>
    private static bool WaitForQuiet(CancellationToken cancel)
    {
        var limit = Stopwatch.StartNew();
        var count = JitInfo.GetCompiledMethodCount();
        var since = Stopwatch.StartNew();
        while (limit.Elapsed < QuietLimit)
        {
            if (cancel.WaitHandle.WaitOne(50))
            {
                return false;
            }

            var now = JitInfo.GetCompiledMethodCount();
            if (now != count)
            {
                (count, since) = (now, Stopwatch.StartNew());
            }
            else if (since.Elapsed >= QuietFor)
            {
                return true;
            }
        }

        return false;
    }
}
