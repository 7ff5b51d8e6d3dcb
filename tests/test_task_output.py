"""The classifier's output is decided in one place (ClassifierOutput)."""

import numpy as np
import pytest

from ftgui.core.settings.layer_plan import head_layers
from ftgui.core.settings.task_output import ClassifierOutput


@pytest.mark.parametrize(
    ("classes", "units", "activation", "loss"),
    [
        (2, 1, "sigmoid", "binary_crossentropy"),
        (3, 3, "softmax", "sparse_categorical_crossentropy"),
        (10, 10, "softmax", "sparse_categorical_crossentropy"),
    ],
)
def test_two_classes_get_one_sigmoid_unit_more_get_a_softmax(classes, units, activation, loss):
    output = ClassifierOutput(classes)
    assert (output.units, output.activation, output.loss) == (units, activation, loss)
    assert output.binary == (classes == 2)
    assert ClassifierOutput.of_units(units) == output
    assert head_layers(32, classes)[-1].output_shape == (units,)


def test_a_sigmoid_output_becomes_two_probability_columns_and_class_1_above_one_half():
    probabilities, predicted = ClassifierOutput(2).probabilities(np.array([[0.2], [0.5], [0.9]]))
    np.testing.assert_allclose(probabilities, [[0.8, 0.2], [0.5, 0.5], [0.1, 0.9]])
    assert predicted.tolist() == [0, 0, 1]  # 0.5 is not above one half, as Keras's accuracy


def test_a_softmax_output_is_taken_as_it_is():
    raw = np.array([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3]], dtype=np.float32)
    probabilities, predicted = ClassifierOutput(3).probabilities(raw)
    assert probabilities.dtype == np.float64
    np.testing.assert_allclose(probabilities, raw, rtol=1e-6)
    assert predicted.tolist() == [1, 0]


@pytest.mark.slow
def test_the_built_model_and_its_loss_follow_the_output():
    from ftgui.core.model.build import build_model, compile_for_phase
    from ftgui.core.settings.config import PhaseConfig

    for classes in (2, 4):
        model = build_model(classes, 32, "none", dropout=0.5, augment=False, seed=1)
        last = model.get_layer("predictions")
        output = ClassifierOutput(classes)
        assert last.units == output.units
        assert last.activation.__name__ == output.activation
        compile_for_phase(model, PhaseConfig("head", 1, 1e-3), classes)
        assert model.loss == output.loss
