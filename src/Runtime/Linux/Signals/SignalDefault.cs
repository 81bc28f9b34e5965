namespace Isa.Runtime.Linux.Signals;

/// <summary>The default action of a signal (signal(7)).</summary>
public enum SignalDefault
{
    Terminate,
    CoreDump,
    Ignore,
    Stop,
    Continue,
}
