using System.Collections.Concurrent;
using System.Threading.Channels;
using KalkiEdge.Panel.Mud;
using KalkiEdge.Panel.Pairing;
using KalkiEdge.Store;

namespace KalkiEdge.Appliance.Control;

/// <summary>
/// Pairing's admission with the device's MUD file (RFC 8520). The device is admitted through the registry under
/// its pack as always, with the pack's allow-list in force from its next frame. When it announced a MUD URL, the
/// file is resolved afterwards, off the pairing thread (at most <see cref="Concurrent"/> at once, each bounded in
/// time and bytes by <see cref="MudSource"/>), and becomes the device's own egress allow-list
/// (<see cref="MudAllowList"/>), deployed make-before-break, and is kept in the store with the device, so it is
/// in force again after a restart. Declared rules the pack would not have allowed and
/// constructs the appliance cannot enforce are said in the log. A refused MUD file (unsigned, oversized,
/// malformed, for another URL, too slow) is said with its reason and changes nothing: the pack's allow-list stays.
/// </summary>
/// <param name="inline">Replay: resolve in the frame loop, so the file is in force from the device's next frame
/// of the capture whatever the machine's speed, and the result says what became of it.</param>
public sealed class MudAdmission(IDeviceAdmission inner, MudSource mud, EdgeAppliance appliance, Action<string> log, bool inline = false) : IDeviceAdmission
{
    public const int Concurrent = 2;

    /// <summary>MUD files waiting for a resolver; beyond it a device keeps its pack's allow-list, said in the log.</summary>
    public const int MaxWaiting = 64;

    private readonly Channel<Job> _jobs = Channel.CreateBounded<Job>(new BoundedChannelOptions(MaxWaiting) { FullMode = BoundedChannelFullMode.Wait });
    private readonly ConcurrentDictionary<string, Task<string>> _resolving = new(StringComparer.Ordinal);
    private int _started;

    public AdmissionResult Admit(PairingVerdict verdict, Action<AdmissionResult> committed)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        var result = inner.Admit(verdict, committed);
        if (!result.Admitted || verdict.MudUrl is not { } url)
        {
            return result;
        }

        if (inline)
        {
            return result with { Detail = $"{result.Detail}; {ApplyAsync(verdict, url).GetAwaiter().GetResult()}" };
        }

        var job = new Job(verdict, url, new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously));
        _resolving[verdict.DeviceName] = job.Done.Task;
        StartResolvers();
        if (!_jobs.Writer.TryWrite(job))
        {
            var said = $"mud {url}: {MaxWaiting} MUD files are already waiting; not resolved, the pack's allow-list stays in force";
            log($"panel: {verdict.DeviceName}: {said}");
            job.Done.SetResult(said);
        }

        return result with { Detail = $"{result.Detail}; mud {url}: resolving, the pack's allow-list meanwhile" };
    }

    /// <summary>What became of the device's MUD file (the line the log got); null when none was announced.</summary>
    public Task<string>? Outcome(string device) => _resolving.TryGetValue(device, out var task) ? task : null;

    private void StartResolvers()
    {
        if (Interlocked.Exchange(ref _started, 1) == 1)
        {
            return;
        }

        for (int i = 0; i < Concurrent; i++)
        {
            _ = Task.Run(async () =>
            {
                await foreach (var job in _jobs.Reader.ReadAllAsync().ConfigureAwait(false))
                {
                    job.Done.SetResult(await ApplyAsync(job.Verdict, job.Url).ConfigureAwait(false));
                }
            });
        }
    }

    private async Task<string> ApplyAsync(PairingVerdict verdict, string url)
    {
        string said;
        try
        {
            var file = await mud.ResolveAsync(url).ConfigureAwait(false);
            (var inForce, said) = MudDeployment.Apply(appliance, verdict.DeviceName, verdict.Pack, file, log);
            if (inForce)
            {
                said += appliance.Registry.KeepMud(verdict.DeviceName, new RuntimeDeviceMud(file.Url, file.Json)) ? "" : "; not kept: the device is no longer registered";
            }
        }
        catch (MudException e)
        {
            said = $"mud refused: {e.Message}; the pack's allow-list stays in force";
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever a hostile server or file causes, the device keeps its pack's defense and the appliance runs on.
            said = $"mud failed: {e.GetType().Name}: {e.Message}; the pack's allow-list stays in force";
        }

        log($"panel: {verdict.DeviceName}: {said}");
        return said;
    }

    private sealed record Job(PairingVerdict Verdict, string Url, TaskCompletionSource<string> Done);
}
