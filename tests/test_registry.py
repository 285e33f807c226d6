import pytest

from vidreason.registry import Registry, UnknownName
from vidreason.seeding import instance_rng


def test_lookup_and_did_you_mean():
    reg: Registry[int] = Registry("thing")
    reg.add("projectile-v1", 1)
    assert reg.get("projectile-v1") == 1
    with pytest.raises(UnknownName, match="did you mean 'projectile-v1'"):
        reg.get("projectile-v2")


def test_duplicate_names_are_refused():
    reg: Registry[int] = Registry("thing")
    reg.add("a", 1)
    with pytest.raises(ValueError, match="already registered"):
        reg.add("a", 2)


def test_an_announced_name_is_listed_without_importing_its_module():
    reg: Registry[int] = Registry("thing")
    reg.add_lazy("lazy-v1", "vidreason.no_such_module")
    assert "lazy-v1" in reg and reg.names() == ["lazy-v1"]
    with pytest.raises(ValueError, match="already registered"):
        reg.add_lazy("lazy-v1", "json")


def test_a_module_that_does_not_register_its_announced_name_is_named():
    reg: Registry[int] = Registry("thing")
    reg.add_lazy("thing-v1", "json")
    with pytest.raises(LookupError, match="json was expected to register thing 'thing-v1'"):
        reg.get("thing-v1")


def test_seed_zero_is_a_seed_and_streams_are_independent():
    a = instance_rng(0, "bounce-v1", 0).random(4)
    assert (a == instance_rng(0, "bounce-v1", 0).random(4)).all()
    assert not (a == instance_rng(1, "bounce-v1", 0).random(4)).all()
    assert not (a == instance_rng(0, "bounce-v1", 1).random(4)).all()
    assert not (a == instance_rng(0, "projectile-v1", 0).random(4)).all()


def test_family_lookup_by_bare_name_gives_newest_version():
    from vidreason.tasks import get_family

    assert get_family("bounce").id == "bounce-v1"
    with pytest.raises(UnknownName, match="did you mean"):
        get_family("bounse-v1")
