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
        private ImpersonationState(SiteSet active, int signal, bool awaited, bool alwaysImpersonated, ResultBinding[]? bindings)
        {
            IsReachable = true;
            Active = active;
            Signal = signal;
            MayHaveAwaited = awaited;
            AlwaysImpersonated = alwaysImpersonated;
            Bindings = bindings;
        }

        /// <summary>The state on entry to a body: nothing active, nothing signalled, nothing awaited.</summary>
        public static ImpersonationState Entry => new ImpersonationState(SiteSet.Empty, -1, awaited: false, alwaysImpersonated: false, bindings: null);

        public bool IsReachable { get; }

        /// <summary>Impersonation sites whose token may still be on the thread (may: joined by union).</summary>
        public SiteSet Active { get; }

        /// <summary>A signal site that may already have run, the first in source order; -1 when none may have.</summary>
        public int Signal { get; }

        /// <summary>An <c>await</c> may have run on the way here (the code may be on another thread).</summary>
        public bool MayHaveAwaited { get; }

        /// <summary>An impersonation ran on every path here (must: joined by intersection).</summary>
        public bool AlwaysImpersonated { get; }

        /// <summary>Locals and flow captures holding an impersonation's result; null when none.</summary>
        public ResultBinding[]? Bindings { get; }

        public ImpersonationState Impersonated(int site) =>
            new ImpersonationState(Active.Add(site), Signal, MayHaveAwaited, alwaysImpersonated: true, Bindings);

        public ImpersonationState Reverted() =>
            new ImpersonationState(SiteSet.Empty, Signal, MayHaveAwaited, AlwaysImpersonated, Bindings);

        public ImpersonationState WithoutActive(SiteSet sites) =>
            new ImpersonationState(Active.Except(sites), Signal, MayHaveAwaited, AlwaysImpersonated, Bindings);

        public ImpersonationState Signalled(int signalSite) =>
            new ImpersonationState(Active, MinSite(Signal, signalSite), MayHaveAwaited, AlwaysImpersonated, Bindings);

        public ImpersonationState Awaited() =>
            new ImpersonationState(Active, Signal, awaited: true, AlwaysImpersonated, Bindings);

        /// <summary>The same state with only <paramref name="bindings"/> (a subset of this state's bindings).</summary>
        public ImpersonationState WithBindings(ResultBinding[]? bindings) =>
            new ImpersonationState(Active, Signal, MayHaveAwaited, AlwaysImpersonated, bindings);

        /// <summary><paramref name="key"/> now holds the result of <paramref name="sites"/> (empty: something else).</summary>
        public ImpersonationState Bound(object key, SiteSet sites)
        {
            ResultBinding[]? bindings = Bindings;
            int index = IndexOf(bindings, key);
            if (sites.IsEmpty)
            {
                if (index < 0)
                {
                    return this;
                }

                bindings = Remove(bindings!, index);
            }
            else if (index >= 0)
            {
                if (bindings![index].Sites.Equals(sites))
                {
                    return this;
                }

                bindings = (ResultBinding[])bindings.Clone();
                bindings[index] = new ResultBinding(key, sites);
            }
            else
            {
                bindings = Append(bindings, new ResultBinding(key, sites));
            }

            return new ImpersonationState(Active, Signal, MayHaveAwaited, AlwaysImpersonated, bindings);
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
                AlwaysImpersonated && other.AlwaysImpersonated,
                JoinBindings(Bindings, other.Bindings));
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
                && AlwaysImpersonated == other.AlwaysImpersonated
                && Active.Equals(other.Active)
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
                else if (!result[index].Sites.IsSubsetOf(binding.Sites) || !binding.Sites.IsSubsetOf(result[index].Sites))
                {
                    if (ReferenceEquals(result, left))
                    {
                        result = (ResultBinding[])left.Clone();
                    }

                    result[index] = new ResultBinding(binding.Key, result[index].Sites.Union(binding.Sites));
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
                if (index < 0 || !right[index].Sites.Equals(binding.Sites))
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
        public ResultBinding(object key, SiteSet sites)
        {
            Key = key;
            Sites = sites;
        }

        /// <summary>An <c>ILocalSymbol</c>, <c>IParameterSymbol</c> or <c>CaptureId</c>.</summary>
        public object Key { get; }

        public SiteSet Sites { get; }
    }
}
