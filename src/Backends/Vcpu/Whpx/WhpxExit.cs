namespace Isa.Backends.Vcpu.Whpx;

/// <summary>
/// A decoded WHPX exit: the normalized <see cref="Exit"/> and, where WHPX leaves RIP on the exiting
/// instruction but the shared protocol expects it past it (port I/O), the RIP to set before the next run.
/// </summary>
public readonly record struct WhpxExit(VcpuExit Exit, ulong? ResumeRip = null);
