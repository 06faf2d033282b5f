namespace KalkiEdge.Devices.Simulators;

/// <summary>
/// A room heated by one heater, as a first-order thermal model: while the heater is on the room tends to
/// <c>ambient + heating × tau</c>, while off back to ambient, each with time constant tau. The heater's state is
/// taken at every query (the WeMo plug simulator's, in the kinetic scenario), so it is piecewise constant between
/// queries. Relative humidity falls as the air warms (the water in it stays); pressure is constant.
/// </summary>
public sealed class ThermalRoom
{
    private readonly Lock _sync = new();
    private readonly Func<bool> _heaterOn;
    private readonly TimeProvider _time;
    private long _lastTimestamp;
    private double _celsius;
    private bool _wasOn;

    public ThermalRoom(Func<bool> heaterOn, TimeProvider? time = null, double ambientCelsius = 21, double heatingCelsiusPerSecond = 1.5, double tauSeconds = 40)
    {
        ArgumentNullException.ThrowIfNull(heaterOn);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tauSeconds);
        _heaterOn = heaterOn;
        _time = time ?? TimeProvider.System;
        AmbientCelsius = ambientCelsius;
        HeatingCelsiusPerSecond = heatingCelsiusPerSecond;
        TauSeconds = tauSeconds;
        _celsius = ambientCelsius;
        _lastTimestamp = _time.GetTimestamp();
        _wasOn = heaterOn();
    }

    public double AmbientCelsius { get; }

    public double HeatingCelsiusPerSecond { get; }

    public double TauSeconds { get; }

    public double PressureHectopascals { get; init; } = 1013.25;

    /// <summary>Relative humidity at ambient temperature.</summary>
    public double AmbientHumidityPercent { get; init; } = 45;

    /// <summary>The room now: temperature (°C), relative humidity (%), pressure (hPa).</summary>
    public (double Celsius, double HumidityPercent, double PressureHectopascals) Now()
    {
        lock (_sync)
        {
            var now = _time.GetTimestamp();
            var seconds = _time.GetElapsedTime(_lastTimestamp, now).TotalSeconds;
            _lastTimestamp = now;
            // The heater's state since the last query is the state it had then (it is switched between queries).
            var target = AmbientCelsius + (_wasOn ? HeatingCelsiusPerSecond * TauSeconds : 0);
            _celsius = target + ((_celsius - target) * Math.Exp(-seconds / TauSeconds));
            _wasOn = _heaterOn();
            // About 6.5% less relative humidity per degree warmer at constant absolute humidity.
            var humidity = Math.Clamp(AmbientHumidityPercent * Math.Pow(0.935, _celsius - AmbientCelsius), 0, 100);
            return (_celsius, humidity, PressureHectopascals);
        }
    }
}
