"""Errors that say what happened, in the learner's words: the operation that failed and what to do."""
import pytest
from nnscratch.engine import Value
from nnscratch.exercises import check_grads

def test_division_by_zero_says_division():
    with pytest.raises(ZeroDivisionError, match=r"Value.__truediv__: division by zero \(1.0 / 0\)"): Value(1.) / 0
    with pytest.raises(ZeroDivisionError, match=r"Value.__truediv__: division by zero"): Value(1.) / Value(0.)
    with pytest.raises(ZeroDivisionError, match=r"Value.__rtruediv__: division by zero"): 2 / Value(0.)
    assert (Value(6.) / 3).data == 2.0 and (6 / Value(3.)).data == 2.0

def test_exp_overflow_names_the_operation_and_the_value():
    with pytest.raises(OverflowError, match=r"Value.exp: exp\(1000.0\) is larger than the largest float.*scale the input down"):
        Value(1000.).exp()
    assert Value(709.).exp().data > 1e307  # the largest that fits still works

def test_check_grads_answers_garbage_with_a_verdict():
    v = check_grads('nonsense')
    assert not v and v.msg.startswith('not yet') and '`pairs` must be a dict' in v.msg, v
