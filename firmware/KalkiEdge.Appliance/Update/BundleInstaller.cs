using System.Diagnostics;
using System.Text;
using KalkiEdge.DataPlane.Io;

namespace KalkiEdge.Appliance.Update;

/// <summary>
/// Installs a signed RAUC update bundle into the inactive root slot by running <c>rauc install</c> (the RAUC service
/// checks the signature against the image's keyring, writes the slot and makes it the next boot). Used by
/// <c>kalki-edge update</c> and the dashboard's upload. What this class checks itself, before RAUC: the file exists,
/// is a regular file (<see cref="InputFile"/>), is no larger than <see cref="MaxBundleBytes"/> and is a squashfs (every
/// RAUC bundle is one), so a wrong file is named as such rather than as RAUC's lower-level error. The run is bounded by <see cref="Timeout"/>.
/// </summary>
public sealed class BundleInstaller(string rauc = BundleInstaller.DefaultRauc)
{
    public const string DefaultRauc = "rauc";

    /// <summary>Larger than any root slot of the image (lib/assemble.sh sizes them); a bigger file is no bundle of ours.</summary>
    public const long MaxBundleBytes = 2L * 1024 * 1024 * 1024;

    /// <summary>RAUC's own error lines kept for the message (the rest of its progress output is dropped).</summary>
    private const int MaxOutputChars = 4096;

    // squashfs superblock magic "hsqs", little-endian, at offset 0.
    private static ReadOnlySpan<byte> SquashfsMagic => "hsqs"u8;

    /// <summary>Writing a root slot on an SD card under load takes minutes; a stuck install must not hold the caller forever.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Checks the file's shape (size, squashfs magic) without RAUC; throws <see cref="UpdateException"/>.</summary>
    public static void CheckShape(string bundle)
    {
        using var file = InputFile.TryOpenRead(bundle, out var refusal) ?? throw new UpdateException($"{bundle}: {refusal}");
        if (file.Length > MaxBundleBytes)
        {
            throw new UpdateException($"{bundle}: {file.Length} bytes is more than an update bundle can be ({MaxBundleBytes} bytes)");
        }

        Span<byte> head = stackalloc byte[4];
        if (file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) < head.Length || !head.SequenceEqual(SquashfsMagic))
        {
            throw new UpdateException($"{bundle}: not a RAUC update bundle (a .raucb file from `make bundle` starts with a squashfs header)");
        }
    }

    /// <summary>
    /// Installs <paramref name="bundle"/> and returns RAUC's closing line; throws <see cref="UpdateException"/> with RAUC's
    /// own reason (bad signature, wrong compatible, slot too small, …) when it refuses.
    /// </summary>
    public async Task<string> InstallAsync(string bundle, CancellationToken cancel = default)
    {
        CheckShape(bundle);
        var start = new ProcessStartInfo(rauc)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("install");
        start.ArgumentList.Add(Path.GetFullPath(bundle));

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new UpdateException($"{rauc} did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new UpdateException($"cannot run {rauc} ({e.Message}): updates need RAUC, which the appliance image carries");
        }

        using (process)
        {
            var output = new BoundedText(MaxOutputChars);
            var stdout = PumpAsync(process.StandardOutput, output);
            var stderr = PumpAsync(process.StandardError, output);
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            bounded.CancelAfter(Timeout);
            try
            {
                await process.WaitForExitAsync(bounded.Token).ConfigureAwait(false);
                await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new UpdateException(cancel.IsCancellationRequested
                    ? $"{bundle}: installation cancelled"
                    : $"{bundle}: rauc install did not finish within {Timeout.TotalMinutes:0} min; it was stopped (the running slot is unchanged)");
            }

            var text = output.ToString();
            if (process.ExitCode != 0)
            {
                throw new UpdateException($"{bundle}: refused by RAUC (exit {process.ExitCode}): {Reason(text)}");
            }

            return LastLine(text) ?? "installed";
        }
    }

    private static async Task PumpAsync(StreamReader reader, BoundedText into)
    {
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            into.Add(line);
        }
    }

    /// <summary>RAUC's error lines if it printed any (they carry the reason), else its last line.</summary>
    private static string Reason(string output)
    {
        var errors = output.Split('\n').Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase) || l.Contains("failed", StringComparison.OrdinalIgnoreCase)).ToList();
        return errors.Count > 0 ? string.Join("; ", errors.Select(l => l.Trim()).Distinct()) : LastLine(output) ?? "no output";
    }

    private static string? LastLine(string output) => output.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.Length > 0);

    /// <summary>The last <c>limit</c> characters of a process's output, so a chatty or hostile child cannot grow memory.</summary>
    private sealed class BoundedText(int limit)
    {
        private readonly StringBuilder text = new();
        private readonly Lock gate = new();

        public void Add(string line)
        {
            lock (gate)
            {
                text.Append(line.Length > limit ? line[^limit..] : line).Append('\n');
                if (text.Length > limit)
                {
                    text.Remove(0, text.Length - limit);
                }
            }
        }

        public override string ToString()
        {
            lock (gate)
            {
                return text.ToString();
            }
        }
    }
}
