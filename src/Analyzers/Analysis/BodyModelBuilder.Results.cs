using System.Collections.Generic;
using ComImpersonation.Analyzers.Api;
using ComImpersonation.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ComImpersonation.Analyzers.Analysis
{
    internal sealed partial class BodyModel
    {
        /// <summary>What keys hold (results, flags), the tests of them at branches, and what returns hand to the caller.</summary>
        private sealed partial class Builder
        {
            /// <summary>
            /// What each returning block returns. A constant reports success only in a body that returns something else
            /// on another path: <c>return true;</c> after <c>if (!ok) return false;</c> tells the caller, a lone
            /// <c>return 0;</c> tells nothing.
            /// </summary>
            private ReturnValue?[] Returns()
            {
                var returns = new ReturnValue?[_graph.Blocks.Length];
                object? firstConstant = null;
                bool varies = false;
                bool anyConstant = false;
                foreach (BasicBlock block in _graph.Blocks)
                {
                    if (block.FallThroughSuccessor is { Semantics: ControlFlowBranchSemantics.Return } && block.BranchValue is { } returned)
                    {
                        if (ConstantOf(returned) is { HasValue: true } constant)
                        {
                            varies |= anyConstant && !Equals(constant.Value, firstConstant);
                            firstConstant = anyConstant ? firstConstant : constant.Value;
                            anyConstant = true;
                        }
                        else
                        {
                            varies = true;
                        }
                    }
                }

                foreach (BasicBlock block in _graph.Blocks)
                {
                    if (block.FallThroughSuccessor is { Semantics: ControlFlowBranchSemantics.Return } && block.BranchValue is { } returned)
                    {
                        IOperation value = ResultChecks.Unwrap(returned);

                        // return status == STATUS_SUCCESS; return hr >= 0; return ok;: a test of the result reports it.
                        IOperation reported = ResultChecks.TryGetFailureTest(value, out IOperation tested, out _, out ResultTestKind kind) && kind != ResultTestKind.Null
                            ? ResultChecks.Unwrap(tested)
                            : value;
                        returns[block.Ordinal] = new ReturnValue(
                            value,
                            SiteOf(reported) ?? WrappedSite(reported) ?? -1,
                            KeyOf(reported),
                            reportsSuccess: varies && IsSuccessConstant(ConstantOf(returned)),
                            endsImpersonation: _impersonations.Count > 0 && _session.EndsImpersonation(value.Type));
                    }
                }

                return returns;
            }

            /// <summary>
            /// The constant a returned value is, read before conversions are looked through: <c>unchecked((int)0x80070002)</c>
            /// is a negative HRESULT, though its literal is a <c>uint</c>.
            /// </summary>
            private static Optional<object?> ConstantOf(IOperation returned) =>
                returned.ConstantValue.HasValue ? returned.ConstantValue : ResultChecks.Unwrap(returned).ConstantValue;

            /// <summary><c>return new Result(security.ImpersonateClient());</c>: the result, returned inside an object.</summary>
            private int? WrappedSite(IOperation value)
            {
                if (value is IObjectCreationOperation creation)
                {
                    foreach (IArgumentOperation argument in creation.Arguments)
                    {
                        if (SiteOf(ResultChecks.Unwrap(argument.Value)) is int site)
                        {
                            return site;
                        }
                    }
                }

                return null;
            }

            /// <summary><c>true</c>, or a non-negative integer (<c>S_OK</c>, a non-zero BOOL).</summary>
            private static bool IsSuccessConstant(Optional<object?> constant) => constant.HasValue && constant.Value switch
            {
                bool b => b,
                int i => i >= 0,
                uint => true,
                long l => l >= 0,
                _ => false,
            };

            /// <summary>Keys whose null test could matter: those tested for null at a branch.</summary>
            private HashSet<object> NullTestedKeys()
            {
                var keys = new HashSet<object>();
                foreach (BasicBlock block in _graph.Blocks)
                {
                    if (block.ConditionKind != ControlFlowConditionKind.None
                        && block.BranchValue is { } condition
                        && ResultChecks.TryGetFailureTest(condition, out IOperation tested, out _, out ResultTestKind kind)
                        && kind == ResultTestKind.Null
                        && KeyOf(tested) is { } key)
                    {
                        keys.Add(key);
                    }
                }

                return keys;
            }

            /// <summary>The tracked fields that the body's type only ever fills with a token saved from the thread.</summary>
            private object[]? SavedFields(HashSet<object> tracked)
            {
                object[]? saved = null;
                foreach (object key in tracked)
                {
                    if (key is IFieldSymbol field && _session.IsSavedTokenField(field))
                    {
                        saved = KeySets.With(saved, field, member: true);
                    }
                }

                return saved;
            }

            private Effect ResultFlow(object key, IOperation value)
            {
                Optional<object?> constant = ConstantOf(value);
                value = ResultChecks.Unwrap(value);
                if (SiteOf(value) is int site)
                {
                    return new Effect(EffectKind.BindResult, site, key);
                }

                if (KeyOf(value) is { } sourceKey)
                {
                    return new Effect(EffectKind.CopyResult, key: key, sourceKey: sourceKey);
                }

                if (key is CaptureId && IsSuccessConstant(constant))
                {
                    // return ok ? S_OK : GetHR(): the capture says success where the active impersonations happened.
                    return new Effect(EffectKind.SetFlag, key: key);
                }

                return new Effect(EffectKind.ClearResult, key: key);
            }

            /// <summary>The keys that can ever hold an impersonation result; effects on other keys are dropped.</summary>
            private HashSet<object> TrackedKeys(HashSet<object> nullTested)
            {
                var tracked = new HashSet<object>();
                foreach (Effect effect in _all)
                {
                    // Tokens that may be saved or restored, and values tested for null that may be known not to be.
                    if ((effect.Kind == EffectKind.MarkSaved || (effect.Kind == EffectKind.Impersonate && effect.Key is not null))
                        || (effect.Kind == EffectKind.MarkNonNull && nullTested.Contains(effect.Key!)))
                    {
                        tracked.Add(effect.Key!);
                    }
                }

                bool grew;
                do
                {
                    grew = false;
                    foreach (Effect effect in _all)
                    {
                        if ((effect.Kind == EffectKind.BindResult
                                || effect.Kind == EffectKind.SetFlag
                                || (effect.Kind == EffectKind.CopyResult && tracked.Contains(effect.SourceKey!)))
                            && tracked.Add(effect.Key!))
                        {
                            grew = true;
                        }
                    }
                }
                while (grew);

                return tracked;
            }

            private ResultTest? TestFor(BasicBlock block, HashSet<object> tracked)
            {
                if (block.ConditionKind == ControlFlowConditionKind.None
                    || block.BranchValue is null
                    || !ResultChecks.TryGetFailureTest(block.BranchValue, out IOperation tested, out bool failureWhenTrue, out ResultTestKind kind))
                {
                    return null;
                }

                if (SiteOf(tested) is int site)
                {
                    return new ResultTest(site, key: null, failureWhenTrue, kind);
                }

                if (tested is IInvocationOperation query && _session.Api.IsImpersonationQuery(query.TargetMethod))
                {
                    // IServerSecurity.IsImpersonating(): where it says no, the thread is not impersonating at all.
                    return new ResultTest(ResultTest.AllSites, key: null, failureWhenTrue);
                }

                if (KeyOf(tested) is { } key && tracked.Contains(key))
                {
                    return new ResultTest(-1, key, failureWhenTrue, kind);
                }

                return null;
            }

            private static object? KeyOf(IOperation operation) => ResultChecks.Unwrap(operation) switch
            {
                IDeclarationExpressionOperation { Expression: ILocalReferenceOperation declared } => declared.Local,
                IAddressOfOperation { Reference: var referenced } => KeyOf(referenced),
                ILocalReferenceOperation local => local.Local,
                IParameterReferenceOperation parameter => parameter.Parameter,
                IFlowCaptureReferenceOperation capture => capture.Id,
                IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field => field.Field,
                _ => null,
            };
        }
    }
}
