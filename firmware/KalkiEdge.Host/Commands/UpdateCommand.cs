using System.Diagnostics;
using KalkiEdge.Appliance.Update;

namespace KalkiEdge.Host.Commands;

/// <summary>
/// kalki-edge update BUNDLE [--reboot]: installs a signed update bundle into the inactive root slot through RAUC
/// (<see cref="BundleInstaller"/>); the appliance boots it at the next restart and keeps it only once the new
/// firmware is READY and healthy (kalki-mark-good), otherwise it falls back to the running slot by itself.
/// </summary>
internal static class UpdateCommand
{
    public static int Execute(CommandLine cl)
    {
        if (cl.Argument is not { } bundle)
        {
            Console.Error.WriteLine("kalki-edge update: the BUNDLE (.raucb) to install is required");
            return ExitCodes.Usage;
        }

        var installer = new BundleInstaller(cl.Option("--rauc") ?? BundleInstaller.DefaultRauc);
        var watch = Stopwatch.StartNew();
        try
        {
            var result = installer.InstallAsync(bundle).GetAwaiter().GetResult();
            Console.WriteLine($"{bundle}: installed in {watch.Elapsed.TotalSeconds:0} s ({result}); it runs after the next reboot and is kept once kalki-edge is healthy there");
        }
        catch (UpdateException e)
        {
            Console.Error.WriteLine($"kalki-edge update: {e.Message}");
            return ExitCodes.Invalid;
        }

        if (!cl.Flag("--reboot"))
        {
            return ExitCodes.Ok;
        }

        Console.WriteLine("rebooting into the new slot");
        using var reboot = Process.Start(new ProcessStartInfo("systemctl", ["--no-block", "reboot"]) { UseShellExecute = false });
        reboot?.WaitForExit(TimeSpan.FromSeconds(30));
        return reboot is { HasExited: true, ExitCode: 0 } ? ExitCodes.Ok : ExitCodes.Invalid;
    }
}
