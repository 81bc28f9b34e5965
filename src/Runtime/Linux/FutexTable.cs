using Isa.Runtime.Memory;

namespace Isa.Runtime.Linux;

/// <summary>
/// The futex wait queues of one guest address space (private futexes, keyed by guest address):
/// wait, wake, requeue and wake-op with bitsets as Linux's futex(2) defines them. One lock guards
/// every queue and the value checks, so a wake can never slip between a waiter's check and its sleep.
/// </summary>
public sealed class FutexTable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<uint, LinkedList<Waiter>> _queues = new();
    private readonly GuestMemory _memory;
    private readonly bool _bigEndian;

    public FutexTable(GuestMemory memory, bool bigEndian)
    {
        _memory = memory;
        _bigEndian = bigEndian;
    }

    /// <summary>
    /// Sleeps while the word at <paramref name="address"/> holds <paramref name="expected"/> until
    /// woken (0), the timeout passes (-ETIMEDOUT) or <paramref name="interrupt"/> is cancelled (a
    /// signal for the waiting thread, or the end of its process: -EINTR); -EAGAIN if the word differs.
    /// </summary>
    public long Wait(uint address, uint expected, uint bitset, TimeSpan? timeout, CancellationToken interrupt)
    {
        if (bitset == 0)
        {
            return -(long)Errno.EINVAL;
        }

        var waiter = new Waiter(address, bitset);
        lock (_lock)
        {
            if (Load(address) != expected)
            {
                return -(long)Errno.EAGAIN;
            }

            if (timeout is { } t && t <= TimeSpan.Zero)
            {
                return -(long)Errno.ETIMEDOUT;
            }

            Enqueue(waiter);
        }

        bool woken;
        try
        {
            woken = waiter.Signal.Wait(timeout ?? Timeout.InfiniteTimeSpan, interrupt);
        }
        catch (OperationCanceledException)
        {
            woken = false;
        }

        lock (_lock)
        {
            if (waiter.Woken)
            {
                return 0;
            }

            Dequeue(waiter);
            return interrupt.IsCancellationRequested ? -(long)Errno.EINTR : -(long)Errno.ETIMEDOUT;
        }
    }

    /// <summary>Wakes up to <paramref name="count"/> waiters on <paramref name="address"/> whose bitset meets <paramref name="bitset"/>.</summary>
    public long Wake(uint address, int count, uint bitset)
    {
        if (bitset == 0)
        {
            return -(long)Errno.EINVAL;
        }

        lock (_lock)
        {
            return WakeLocked(address, count, bitset);
        }
    }

    /// <summary>
    /// FUTEX_REQUEUE and FUTEX_CMP_REQUEUE: wakes up to <paramref name="wake"/> waiters and moves up
    /// to <paramref name="requeue"/> more to <paramref name="target"/>; returns how many were woken or moved.
    /// </summary>
    public long Requeue(uint address, int wake, int requeue, uint target, uint? expected)
    {
        if (wake < 0 || requeue < 0)
        {
            return -(long)Errno.EINVAL;
        }

        lock (_lock)
        {
            if (expected is { } value && Load(address) != value)
            {
                return -(long)Errno.EAGAIN;
            }

            long done = WakeLocked(address, wake, uint.MaxValue);
            if (requeue > 0 && target != address && _queues.TryGetValue(address, out LinkedList<Waiter>? queue))
            {
                while (requeue > 0 && queue.First is { } node)
                {
                    Dequeue(node.Value);
                    node.Value.Address = target;
                    Enqueue(node.Value);
                    requeue--;
                    done++;
                }
            }

            return done;
        }
    }

    /// <summary>
    /// FUTEX_WAKE_OP: atomically applies the encoded operation to the word at <paramref name="address2"/>,
    /// wakes up to <paramref name="count"/> waiters on <paramref name="address"/>, and up to
    /// <paramref name="count2"/> on <paramref name="address2"/> if the old value passes the encoded comparison.
    /// </summary>
    public long WakeOp(uint address, int count, uint address2, int count2, uint encoded)
    {
        int op = (int)(encoded >> 28) & 7, compare = (int)(encoded >> 24) & 15;
        int operand = (int)(encoded << 8) >> 20, compareOperand = (int)(encoded << 20) >> 20;
        if ((encoded & 0x8000_0000) != 0)
        {
            operand = 1 << (operand & 31); // FUTEX_OP_OPARG_SHIFT
        }

        if (op > 4 || compare > 5)
        {
            return -(long)Errno.ENOSYS;
        }

        lock (_lock)
        {
            int old;
            uint raw;
            do
            {
                raw = _memory.Read32(address2);
                old = (int)Order(raw);
                int updated = op switch
                {
                    0 => operand,
                    1 => old + operand,
                    2 => old | operand,
                    3 => old & ~operand,
                    _ => old ^ operand,
                };
                if (_memory.CompareExchange32(address2, raw, Order((uint)updated)))
                {
                    break;
                }
            }
            while (true);

            long woken = WakeLocked(address, count, uint.MaxValue);
            bool passes = compare switch
            {
                0 => old == compareOperand,
                1 => old != compareOperand,
                2 => old < compareOperand,
                3 => old <= compareOperand,
                4 => old > compareOperand,
                _ => old >= compareOperand,
            };
            return passes ? woken + WakeLocked(address2, count2, uint.MaxValue) : woken;
        }
    }

    /// <summary>How many threads sleep on <paramref name="address"/> (for tests and diagnostics).</summary>
    public int Waiting(uint address)
    {
        lock (_lock)
        {
            return _queues.TryGetValue(address, out LinkedList<Waiter>? queue) ? queue.Count : 0;
        }
    }

    private long WakeLocked(uint address, int count, uint bitset)
    {
        if (!_queues.TryGetValue(address, out LinkedList<Waiter>? queue))
        {
            return 0;
        }

        long woken = 0;
        for (LinkedListNode<Waiter>? node = queue.First; node is not null && woken < count;)
        {
            LinkedListNode<Waiter>? next = node.Next;
            Waiter waiter = node.Value;
            if ((waiter.Bitset & bitset) != 0)
            {
                Dequeue(waiter);
                waiter.Woken = true;
                waiter.Signal.Set();
                woken++;
            }

            node = next;
        }

        return woken;
    }

    private void Enqueue(Waiter waiter)
    {
        if (!_queues.TryGetValue(waiter.Address, out LinkedList<Waiter>? queue))
        {
            _queues[waiter.Address] = queue = new LinkedList<Waiter>();
        }

        waiter.Node = queue.AddLast(waiter);
    }

    private void Dequeue(Waiter waiter)
    {
        if (waiter.Node is { List: { } queue } node)
        {
            queue.Remove(node);
            waiter.Node = null;
            if (queue.Count == 0)
            {
                _queues.Remove(waiter.Address);
            }
        }
    }

    private uint Load(uint address) => Order(_memory.Read32(address));

    /// <summary>Between the guest's byte order and the host's (the same conversion both ways).</summary>
    private uint Order(uint value) => _bigEndian ? System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(value) : value;

    private sealed class Waiter(uint address, uint bitset)
    {
        public uint Address { get; set; } = address;

        public uint Bitset { get; } = bitset;

        public ManualResetEventSlim Signal { get; } = new(false);

        public bool Woken { get; set; }

        public LinkedListNode<Waiter>? Node { get; set; }
    }
}
