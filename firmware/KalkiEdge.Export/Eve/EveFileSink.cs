using System.Buffers;
using KalkiEdge.Export.Events;

namespace KalkiEdge.Export.Eve;

/// <summary>EVE file sink counters.</summary>
public sealed class EveFileCounters
{
    public long Written;
    public long Dropped;
    public long Rotations;
    public long Reopens;
    public long WriteErrors;
    /// <summary>Bytes of unfinished last lines cut off before appending (<see cref="TornLineRepair"/>).</summary>
    public long TornBytes;
}

/// <summary>
/// EVE lines appended to a file by a writer thread of its own (<see cref="EventQueueWorker"/>), as Suricata's
/// <c>eve-log</c> does: the control loop only queues the event and wakes the writer only when it is idle (busy, it
/// writes a batch every <see cref="Gather"/>, so a storm costs the control loop no wake-ups) (bounded: beyond
/// <see cref="EveFileOptions.QueueCapacity"/> events waiting, new ones are dropped and counted), so a slow or full
/// disk never delays a reaction. The file is rotated when it would grow past
/// <see cref="EveFileOptions.RotateBytes"/> (<c>eve.json</c> → <c>eve.json.1</c> …, keeping
/// <see cref="EveFileOptions.Keep"/>), and closed and reopened on <see cref="Reopen"/> (SIGHUP), so an external
/// logrotate may move it away. A write error is counted, the line lost, and the file reopened for the next one, after
/// cutting off any line the failed write left unfinished.
/// </summary>
public sealed class EveFileSink : IEventSink, IQueuedSink, IDisposable
{
    /// <summary>After writing, the writer gathers for this long before it looks again: one write per batch, not per event.</summary>
    public static readonly TimeSpan Gather = TimeSpan.FromMilliseconds(20);

    private readonly EveFileOptions _options;
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);
    private readonly EventQueueWorker _writer;
    private FileStream? _file;
    private volatile bool _reopen;

    public EveFileSink(EveFileOptions options)
    {
        _options = options;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(options.Path))!);
        _file = Open(); // fail at start (permissions, a directory in the way), not at the first alert
        _writer = new EventQueueWorker("eve-file", options.QueueCapacity, WriteQueued, Gather);
    }

    public EveFileCounters Counters { get; } = new();

    public string Path => _options.Path;

    public IEnumerable<SinkQueue> Queues => [new("eve-file", _writer.Depth, Interlocked.Read(ref Counters.Dropped))];

    public void Publish(ApplianceEvent e) => _writer.PostOrDrop(e, ref Counters.Dropped);

    /// <summary>Close and reopen the file at its path (SIGHUP): safe from any thread.</summary>
    public void Reopen()
    {
        _reopen = true;
        _writer.Wake();
    }

    /// <summary>Writes what is queued (waiting up to 10 s), then closes the file. Later events are dropped and counted; a second call does nothing.</summary>
    public void Dispose()
    {
        if (_writer.Stopping)
        {
            return;
        }

        _writer.Stop(TimeSpan.FromSeconds(10));
        Close();
    }

    /// <summary>
    /// A turn of the writer: the file reopened if asked, then every queued line written. After writing it gathers
    /// (<see cref="Gather"/>); idle, the next event wakes it at once (a sparse alert reaches the file without delay).
    /// </summary>
    private EventQueueWorker.Turn WriteQueued(BoundedEventQueue queue)
    {
        if (_reopen)
        {
            _reopen = false;
            Close();
            Interlocked.Increment(ref Counters.Reopens);
        }

        int n = 0;
        while (queue.TryTake(out var e))
        {
            _buffer.Write(e.EveLine); // formatted once, shared with the other sinks
            n++;
            if (_buffer.WrittenCount >= 32 * 1024)
            {
                Flush();
            }
        }

        Flush();
        return n > 0 ? EventQueueWorker.Turn.Gather : EventQueueWorker.Turn.Idle;
    }

    /// <summary>Writes the buffered lines, rotating first when they would take the file past the limit.</summary>
    private void Flush()
    {
        if (_buffer.WrittenCount == 0)
        {
            return;
        }

        try
        {
            _file ??= Open();
            if (_options.RotateBytes > 0 && _file.Length > 0 && _file.Length + _buffer.WrittenCount > _options.RotateBytes)
            {
                Rotate();
            }

            _file.Write(_buffer.WrittenSpan);
            _file.Flush();
            Interlocked.Add(ref Counters.Written, CountLines(_buffer.WrittenSpan));
        }
        catch (IOException)
        {
            Failed();
        }
        catch (UnauthorizedAccessException)
        {
            Failed();
        }

        _buffer.ResetWrittenCount();
    }

    private void Failed()
    {
        Interlocked.Increment(ref Counters.WriteErrors);
        Close();
    }

    private void Rotate()
    {
        Close();
        for (int i = _options.Keep - 1; i >= 1; i--)
        {
            var from = $"{_options.Path}.{i}";
            if (File.Exists(from))
            {
                File.Move(from, $"{_options.Path}.{i + 1}", overwrite: true);
            }
        }

        if (_options.Keep > 0)
        {
            File.Move(_options.Path, _options.Path + ".1", overwrite: true);
        }
        else
        {
            File.Delete(_options.Path);
        }

        Interlocked.Increment(ref Counters.Rotations);
        _file = Open();
    }

    private FileStream Open()
    {
        // A torn last line (power loss; a full disk failing the last write part-way) would merge with the next event.
        Interlocked.Add(ref Counters.TornBytes, TornLineRepair.Repair(_options.Path));
        var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.Read | FileShare.Delete };
        if (!OperatingSystem.IsWindows())
        {
            // Alerts name devices and addresses: readable by the appliance's user and group (the SIEM shipper), no one else.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
        }

        return new FileStream(_options.Path, options);
    }

    private void Close()
    {
        try
        {
            _file?.Dispose();
        }
        catch (IOException)
        {
            // Flushing a file on a failed disk: the lines are already counted as lost.
        }

        _file = null;
    }

    private static long CountLines(ReadOnlySpan<byte> bytes) => bytes.Count((byte)'\n');
}
