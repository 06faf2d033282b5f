using KalkiEdge.DataPlane.Live;

namespace KalkiEdge.Bench;

/// <summary>Pins the calling thread, with the firmware's own pinning, for the bench's measurements of what crossing between CPUs costs.</summary>
public static class ThreadPinning
{
    /// <summary>False where the kernel refuses (no such CPU, outside the cpuset, not Linux): the thread then runs where the scheduler puts it.</summary>
    public static bool TryPin(int cpu)
    {
        try
        {
            CpuAffinity.PinCallingThread(cpu);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
