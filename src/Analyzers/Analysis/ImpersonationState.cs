using System;
using ComImpersonation.Analyzers.Flow;

namespace ComImpersonation.Analyzers.Analysis
{
    /// <summary>
    /// What may hold at one point of a method body: which impersonations may still be active on the thread,
    /// whether the call may already have been signalled, and which locals hold which impersonation's result
    /// (so that a failure check can tell that the thread is not impersonating on its failure branch).
    /// The default value is bottom: unreachable.
    /// </summary>
    internal readonly struct ImpersonationState : IEquatable<ImpersonationState>
    {
        private ImpersonationState(SiteSet active, int signal, bool awaited, ResultBinding[]? bindings, SiteSet handedOff, SiteSet worked, object[]? nonNull, object[]? saved)
        {
            IsReachable = true;
            Active = active;
            Signal = signal;
            MayHaveAwaited = awaited;
            Bindings = bindings;
            HandedOff = handedOff;
            Worked = worked;
            NonNull = nonNull;
            Saved = saved;
        }

        /// <summary>The state on entry to a body: nothing active, nothing signalled, nothing awaited.</summary>
        public static ImpersonationState Entry => new ImpersonationState(SiteSet.Empty, -1, awaited: false, bindings: null, SiteSet.Empty, SiteSet.Empty, nonNull: null, saved: null);

        /// <summary>The entry state of a body whose fields <paramref name="savedFields"/> hold a token saved from the thread.</summary>
        public static ImpersonationState EntryWithSaved(object[]? savedFields) =>
            new ImpersonationState(SiteSet.Empty, -1, awaited: false, bindings: null, SiteSet.Empty, SiteSet.Empty, nonNull: null, savedFields);

        public bool IsReachable { get; }

        /// <summary>Impersonation sites whose token may still be on the thread (may: joined by union).</summary>
        public SiteSet Active { get; }

        /// <summary>A signal site that may already have run, the first in source order; -1 when none may have.</summary>
        public int Signal { get; }

        /// <summary>An <c>await</c> may have run on the way here (the code may be on another thread).</summary>
        public bool MayHaveAwaited { get; }

        /// <summary>Locals and flow captures holding an impersonation's result; null when none.</summary>
        public ResultBinding[]? Bindings { get; }

        /// <summary>
        /// Impersonations that a path has handed to the caller at a return (SPEC §2 hand-offs): removed from
        /// <see cref="Active"/> there, so what is active at the exit is what leaks (may: joined by union).
        /// </summary>
        public SiteSet HandedOff { get; }

        /// <summary>
        /// Active impersonations under which the path did more than act on their result (a call, a branch on
        /// something else, an await): a path that leaves them active did not only start them (may).
        /// </summary>
        public SiteSet Worked { get; }

        /// <summary>Keys that hold a value that cannot be null on every path here (must: joined by intersection).</summary>
        public object[]? NonNull { get; }

        /// <summary>Keys that hold the token the thread had before, saved by <c>OpenThreadToken</c>, on every path here (must).</summary>
        public object[]? Saved { get; }

        public ImpersonationState Impersonated(int site) =>
            new ImpersonationState(Active.Add(site), Signal, MayHaveAwaited, Bindings, HandedOff, Worked, NonNull, Saved);

        /// <summary>Nothing is on the thread any more: no impersonation is active, and none is handed to the caller.</summary>
        public ImpersonationState Reverted() =>
            new ImpersonationState(SiteSet.Empty, Signal, MayHaveAwaited, Bindings, SiteSet.Empty, SiteSet.Empty, NonNull, Saved);

        public ImpersonationState WithoutActive(SiteSet sites) =>
            new ImpersonationState(Active.Except(sites), Signal, MayHaveAwaited, Bindings, HandedOff, Worked.Except(sites), NonNull, Saved);

        /// <summary>The path hands <paramref name="sites"/> to its caller: they are no longer this body's to end.</summary>
        public ImpersonationState HandOff(SiteSet sites) =>
            sites.IsEmpty ? this : new ImpersonationState(Active.Except(sites), Signal, MayHaveAwaited, Bindings, HandedOff.Union(sites), Worked.Except(sites), NonNull, Saved);

        /// <summary>The path does work while the active impersonations are on the thread.</summary>
        public ImpersonationState Work() =>
            Active.IsEmpty || Active.IsSubsetOf(Worked) ? this : new ImpersonationState(Active, Signal, MayHaveAwaited, Bindings, HandedOff, Worked.Union(Active), NonNull, Saved);

        public ImpersonationState Signalled(int signalSite) =>
            new ImpersonationState(Active, MinSite(Signal, signalSite), MayHaveAwaited, Bindings, HandedOff, Worked, NonNull, Saved);

        public ImpersonationState Awaited() =>
            new ImpersonationState(Active, Signal, awaited: true, Bindings, HandedOff, Worked, NonNull, Saved);

        /// <summary>The same state with only <paramref name="bindings"/> (a subset of this state's bindings).</summary>
        public ImpersonationState WithBindings(ResultBinding[]? bindings) =>
            new ImpersonationState(Active, Signal, MayHaveAwaited, bindings, HandedOff, Worked, NonNull, Saved);

        public bool IsNonNull(object key) => KeySets.Contains(NonNull, key);

        public bool IsSaved(object key) => KeySets.Contains(Saved, key);

        /// <summary><paramref name="key"/> was written: whether it now holds a non-null value and a saved token.</summary>
        public ImpersonationState Written(object key, bool nonNull, bool saved)
        {
            object[]? nonNullKeys = KeySets.With(NonNull, key, nonNull);
            object[]? savedKeys = KeySets.With(Saved, key, saved);
            return ReferenceEquals(nonNullKeys, NonNull) && ReferenceEquals(savedKeys, Saved)
                ? this
                : new ImpersonationState(Active, Signal, MayHaveAwaited, Bindings, HandedOff, Worked, nonNullKeys, savedKeys);
        }

        /// <summary>
        /// <paramref name="key"/> now holds the result of <paramref name="sites"/> (empty: something else), and holds
        /// something else while <paramref name="foreign"/> are active (a failure value written after they succeeded).
        /// </summary>
        public ImpersonationState Bound(object key, SiteSet sites, SiteSet foreign = default)
        {
            ResultBinding[]? bindings = Bindings;
            int index = IndexOf(bindings, key);
            if (sites.IsEmpty && foreign.IsEmpty)
            {
                if (index < 0)
                {
                    return this;
                }

                bindings = Remove(bindings!, index);
            }
            else if (index >= 0)
            {
                if (bindings![index].Sites.Equals(sites) && bindings[index].Foreign.Equals(foreign))
                {
                    return this;
                }

                bindings = (ResultBinding[])bindings.Clone();
                bindings[index] = new ResultBinding(key, sites, foreign);
            }
            else
            {
                bindings = Append(bindings, new ResultBinding(key, sites, foreign));
            }

            return new ImpersonationState(Active, Signal, MayHaveAwaited, bindings, HandedOff, Worked, NonNull, Saved);
        }

        /// <summary>The active impersonations while which <paramref name="key"/> may hold something other than their result.</summary>
        public SiteSet ForeignTo(object key)
        {
            int index = IndexOf(Bindings, key);
            return index < 0 ? SiteSet.Empty : Bindings![index].Foreign;
        }

        /// <summary>The impersonation sites whose result <paramref name="key"/> may hold.</summary>
        public SiteSet SitesBoundTo(object key)
        {
            int index = IndexOf(Bindings, key);
            return index < 0 ? SiteSet.Empty : Bindings![index].Sites;
        }

        public ImpersonationState Join(ImpersonationState other)
        {
            if (!IsReachable)
            {
                return other;
            }

            if (!other.IsReachable)
            {
                return this;
            }

            return new ImpersonationState(
                Active.Union(other.Active),
                MinSite(Signal, other.Signal),
                MayHaveAwaited || other.MayHaveAwaited,
                JoinBindings(Bindings, other.Bindings),
                HandedOff.Union(other.HandedOff),
                Worked.Union(other.Worked),
                KeySets.Intersect(NonNull, other.NonNull),
                KeySets.Intersect(Saved, other.Saved));
        }

        public bool Equals(ImpersonationState other)
        {
            if (IsReachable != other.IsReachable)
            {
                return false;
            }

            if (!IsReachable)
            {
                return true;
            }

            return Signal == other.Signal
                && MayHaveAwaited == other.MayHaveAwaited
                && Active.Equals(other.Active)
                && HandedOff.Equals(other.HandedOff)
                && Worked.Equals(other.Worked)
                && KeySets.SetEquals(NonNull, other.NonNull)
                && KeySets.SetEquals(Saved, other.Saved)
                && BindingsEqual(Bindings, other.Bindings);
        }

        public override bool Equals(object? obj) => obj is ImpersonationState other && Equals(other);

        public override int GetHashCode() => Active.GetHashCode() ^ Signal;

        private static int MinSite(int left, int right) =>
            left < 0 ? right : right < 0 ? left : Math.Min(left, right);

        /// <summary>
        /// The index of <paramref name="key"/>'s binding, looked for at <paramref name="hint"/> first: keys are appended
        /// in the order the code binds them, so two states of one body mostly hold them at the same positions, and
        /// joining or comparing them stays linear in the number of keys.
        /// </summary>
        private static int IndexOf(ResultBinding[]? bindings, object key, int hint = -1)
        {
            if (bindings is not null && hint >= 0 && hint < bindings.Length && bindings[hint].Key.Equals(key))
            {
                return hint;
            }

            if (bindings is not null)
            {
                for (int i = 0; i < bindings.Length; i++)
                {
                    if (bindings[i].Key.Equals(key))
                    {
                        return i;
                    }
                }
            }

            return -1;
        }

        private static ResultBinding[] Append(ResultBinding[]? bindings, ResultBinding binding)
        {
            if (bindings is null)
            {
                return new[] { binding };
            }

            var result = new ResultBinding[bindings.Length + 1];
            bindings.CopyTo(result, 0);
            result[bindings.Length] = binding;
            return result;
        }

        private static ResultBinding[]? Remove(ResultBinding[] bindings, int index)
        {
            if (bindings.Length == 1)
            {
                return null;
            }

            var result = new ResultBinding[bindings.Length - 1];
            Array.Copy(bindings, 0, result, 0, index);
            Array.Copy(bindings, index + 1, result, index, bindings.Length - index - 1);
            return result;
        }

        // A key bound on either path is bound to the union of its sites: a failure check then clears every
        // impersonation the key may hold. On a path where the key held something else, those impersonations
        // were not active through this key, so clearing them can only silence, never invent, a report.
        private static ResultBinding[]? JoinBindings(ResultBinding[]? left, ResultBinding[]? right)
        {
            if (left is null)
            {
                return right;
            }

            if (right is null || BindingsEqual(left, right))
            {
                return left;
            }

            ResultBinding[] result = left;
            for (int position = 0; position < right.Length; position++)
            {
                ResultBinding binding = right[position];
                int index = IndexOf(result, binding.Key, position);
                if (index < 0)
                {
                    result = Append(result, binding);
                }
                else if (!result[index].Sites.Equals(binding.Sites) || !result[index].Foreign.Equals(binding.Foreign))
                {
                    if (ReferenceEquals(result, left))
                    {
                        result = (ResultBinding[])left.Clone();
                    }

                    result[index] = new ResultBinding(binding.Key, result[index].Sites.Union(binding.Sites), result[index].Foreign.Union(binding.Foreign));
                }
            }

            return result;
        }

        private static bool BindingsEqual(ResultBinding[]? left, ResultBinding[]? right)
        {
            if (ReferenceEquals(left, right))
            {
                return true;
            }

            if (left is null || right is null || left.Length != right.Length)
            {
                return false;
            }

            for (int position = 0; position < left.Length; position++)
            {
                ResultBinding binding = left[position];
                int index = IndexOf(right, binding.Key, position);
                if (index < 0 || !right[index].Sites.Equals(binding.Sites) || !right[index].Foreign.Equals(binding.Foreign))
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>Small sets of keys (locals, parameters, fields) as arrays: null is empty; a set rarely holds more than a few.</summary>
    internal static class KeySets
    {
        public static bool Contains(object[]? set, object key) => set is not null && Array.IndexOf(set, key) >= 0;

        public static object[]? With(object[]? set, object key, bool member)
        {
            bool present = Contains(set, key);
            if (present == member)
            {
                return set;
            }

            if (member)
            {
                var grown = new object[(set?.Length ?? 0) + 1];
                set?.CopyTo(grown, 0);
                grown[grown.Length - 1] = key;
                return grown;
            }

            if (set!.Length == 1)
            {
                return null;
            }

            var shrunk = new object[set.Length - 1];
            int next = 0;
            foreach (object item in set)
            {
                if (!item.Equals(key))
                {
                    shrunk[next++] = item;
                }
            }

            return shrunk;
        }

        public static object[]? Intersect(object[]? left, object[]? right)
        {
            if (left is null || right is null)
            {
                return null;
            }

            if (ReferenceEquals(left, right) || SetEquals(left, right))
            {
                return left;
            }

            object[]? result = null;
            foreach (object key in left)
            {
                if (Contains(right, key))
                {
                    result = With(result, key, member: true);
                }
            }

            return result;
        }

        public static bool SetEquals(object[]? left, object[]? right)
        {
            if (ReferenceEquals(left, right))
            {
                return true;
            }

            if (left is null || right is null || left.Length != right.Length)
            {
                return false;
            }

            foreach (object key in left)
            {
                if (!Contains(right, key))
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>A local or flow capture that holds the result of one or more impersonation calls.</summary>
    internal readonly struct ResultBinding
    {
        public ResultBinding(object key, SiteSet sites, SiteSet foreign = default)
        {
            Key = key;
            Sites = sites;
            Foreign = foreign;
        }

        /// <summary>
        /// Impersonations that were active on a path where the key was given something other than their result (a
        /// failure value after they succeeded): returning the key does not report them.
        /// </summary>
        public SiteSet Foreign { get; }

        /// <summary>An <c>ILocalSymbol</c>, <c>IParameterSymbol</c> or <c>CaptureId</c>.</summary>
        public object Key { get; }

        public SiteSet Sites { get; }
    }
}
