using System.Device.Gpio;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Panel.Button;

/// <summary>
/// A GPIO line whose level comes from a named pipe instead of a chip, for testbeds and benches without the
/// hardware: each byte <c>0</c> drives the line low, <c>1</c> high; every other byte is ignored. The same
/// <see cref="PanelButton"/> (debounce) and <see cref="ButtonGestures"/> run on it as on a real line. The pipe is
/// opened read-write, so opening never waits for a writer and a writer closing is not an end of file.
/// </summary>
public sealed class FifoGpioDriver : GpioDriver
{
    private const int ReadChunk = 64;

    private readonly string _path;
    private readonly FileStream _pipe;
    private readonly Thread _reader;
    private readonly Lock _gate = new();
    private readonly List<(int Pin, PinEventTypes Types, PinChangeEventHandler Handler)> _callbacks = [];
    private readonly Dictionary<int, PinValue> _levels = [];
    private volatile bool _stopping;

    private FifoGpioDriver(string path, FileStream pipe)
    {
        _path = path;
        _pipe = pipe;
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "panel-button-fifo" };
        _reader.Start();
    }

    /// <summary>
    /// Opens the pipe at <paramref name="path"/>. Refused (<see cref="IOException"/> with the reason) when it is not
    /// a named pipe or when anyone but its owner and group may write to it: whoever can write it presses the button.
    /// </summary>
    public static FifoGpioDriver Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new IOException($"no named pipe at {path} (create it with mkfifo -m 0600)");
        }

        if (OperatingSystem.IsWindows())
        {
            throw new IOException("named pipes as button lines exist only on Linux");
        }

        if ((File.GetUnixFileMode(path) & UnixFileMode.OtherWrite) != 0)
        {
            throw new IOException($"{path} is writable by every user, who could press the button (chmod o-w)");
        }

        var pipe = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 0);
        if (pipe.CanSeek)
        {
            pipe.Dispose();
            throw new IOException($"{path} is a regular file, not a named pipe (create it with mkfifo -m 0600)");
        }

        return new FifoGpioDriver(path, pipe);
    }

    protected override int PinCount => GpioInputArgs.LastHeaderPin + 1;

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_stopping)
        {
            _stopping = true;
            try
            {
                // Wakes the reader blocked in read(2); it sees the flag and ends.
                using var wake = new FileStream(_path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
                wake.WriteByte((byte)'\n');
            }
            catch (IOException)
            {
                // The pipe is gone: the reader's read fails and it ends on its own.
            }

            _reader.Join(TimeSpan.FromSeconds(2));
            _pipe.Dispose();
        }

        base.Dispose(disposing);
    }

    protected override void OpenPin(int pinNumber)
    {
        lock (_gate)
        {
            _levels.TryAdd(pinNumber, PinValue.Low);
        }
    }

    protected override void ClosePin(int pinNumber)
    {
        lock (_gate)
        {
            _levels.Remove(pinNumber);
        }
    }

    protected override void SetPinMode(int pinNumber, PinMode mode)
    {
        lock (_gate)
        {
            // Until the pipe says otherwise, a pulled line rests where its resistor pulls it.
            _levels[pinNumber] = mode == PinMode.InputPullUp ? PinValue.High : PinValue.Low;
        }
    }

    protected override PinMode GetPinMode(int pinNumber) => PinMode.Input;

    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => mode is PinMode.Input or PinMode.InputPullUp or PinMode.InputPullDown;

    protected override PinValue Read(int pinNumber)
    {
        lock (_gate)
        {
            return _levels.GetValueOrDefault(pinNumber, PinValue.Low);
        }
    }

    protected override void Write(int pinNumber, PinValue value) => throw new NotSupportedException("the button's line is an input");

    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the panel never blocks on a line");

    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback)
    {
        lock (_gate)
        {
            _callbacks.Add((pinNumber, eventTypes, callback));
        }
    }

    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback)
    {
        lock (_gate)
        {
            _callbacks.RemoveAll(c => c.Pin == pinNumber && c.Handler == callback);
        }
    }

    private void ReadLoop()
    {
        var buffer = new byte[ReadChunk];
        while (!_stopping)
        {
            int read;
            try
            {
                read = _pipe.Read(buffer);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                return;
            }

            for (var i = 0; i < read && !_stopping; i++)
            {
                if (buffer[i] is (byte)'0' or (byte)'1')
                {
                    Drive(buffer[i] == (byte)'1' ? PinValue.High : PinValue.Low);
                }
            }
        }
    }

    /// <summary>Sets every open line to <paramref name="level"/> and raises an edge on each line it changed.</summary>
    private void Drive(PinValue level)
    {
        var edges = new List<(int Pin, PinChangeEventHandler Handler, PinEventTypes Type)>();
        lock (_gate)
        {
            foreach (var pin in _levels.Keys.ToList())
            {
                if (_levels[pin] == level)
                {
                    continue;
                }

                _levels[pin] = level;
                var type = level == PinValue.High ? PinEventTypes.Rising : PinEventTypes.Falling;
                edges.AddRange(_callbacks.Where(c => c.Pin == pin && (c.Types & type) != 0).Select(c => (pin, c.Handler, type)));
            }
        }

        foreach (var (pin, handler, type) in edges)
        {
            handler(this, new PinValueChangedEventArgs(type, pin));
        }
    }
}
