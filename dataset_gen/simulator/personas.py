"""Two people who talk for months: names, jobs, homes, pets, family, hobbies.

Pools are plain tuples so a seeded ``random.Random`` picks the same persona every time.
A persona's details recur in many sessions ("How is Biscuit?"), which is what makes
time-constrained content questions answerable and hard.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from dataset_gen.words import word_list

FIRST_NAMES = word_list(
    """Ana Ben Cleo Dan Elena Farid Grace Hugo Iris Jonas Kira Leo Maya Nico Olivia Pablo Quinn
    Rosa Sam Tara Uma Victor Wren Xavier Yara Zane Amir Bea Carlos Dina Eli Fatima Gabe Hana
    Ivan Jade Kofi Lena Marco Nadia Omar Priya Rafael Sofia Theo Ursula Vera Wes Ximena Yusuf
    Zoe Aiden Bianca Cyrus Delia Emre Freya Goran Hailey Ines"""
)
CITIES = (
    "Portland",
    "Austin",
    "Denver",
    "Chicago",
    "Boston",
    "Seattle",
    "Atlanta",
    "Phoenix",
    "Minneapolis",
    "San Diego",
    "Nashville",
    "Pittsburgh",
    "Sacramento",
    "Raleigh",
    "Tucson",
)
JOBS = (
    ("nurse", "the hospital"),
    ("teacher", "the middle school"),
    ("software developer", "a startup"),
    ("chef", "a bistro downtown"),
    ("graphic designer", "an agency"),
    ("accountant", "a firm"),
    ("librarian", "the public library"),
    ("electrician", "a contractor"),
    ("pharmacist", "a pharmacy"),
    ("photographer", "a studio"),
    ("paramedic", "the fire department"),
    ("architect", "a small practice"),
    ("barista", "a coffee shop"),
    ("veterinary technician", "an animal clinic"),
    ("journalist", "the local paper"),
)
PET_KINDS = (
    "beagle",
    "tabby cat",
    "golden retriever",
    "parrot",
    "rabbit",
    "corgi",
    "black cat",
    "turtle",
)
PET_NAMES = (
    "Biscuit",
    "Luna",
    "Pepper",
    "Milo",
    "Ziggy",
    "Olive",
    "Mochi",
    "Scout",
    "Juniper",
    "Bean",
)
RELATIVES = ("sister", "brother", "cousin", "mom", "dad", "grandma", "aunt", "best friend")
HOBBIES = (
    ("hiking", "went hiking up {place}", "a trail called {place}"),
    ("painting", "finished a painting of {thing}", "painting {thing}"),
    ("baking", "baked a {bake}", "baking {bake}s"),
    ("gardening", "planted {plant} in the backyard", "growing {plant}"),
    ("cycling", "rode {distance} miles along the river", "long rides by the river"),
    ("taking photos", "took photos of {thing}", "shooting {thing}"),
    ("climbing", "climbed a new route at the gym", "bouldering problems"),
    ("knitting", "knitted a {garment}", "a {garment} for winter"),
    ("playing chess", "won a chess game at the club", "the Sicilian opening"),
    ("playing guitar", "learned a new song on guitar", "fingerpicking"),
    ("swimming", "swam {distance} laps at the pool", "the morning swim"),
    ("birdwatching", "spotted a {bird}", "{bird}s at the lake"),
)
HOBBY_SLOTS = {
    "place": ("Eagle Ridge", "Pine Hollow", "Cedar Falls", "Bluebird Peak", "Fox Canyon"),
    "thing": (
        "the harbor at dusk",
        "an old barn",
        "sunflowers",
        "the city skyline",
        "a foggy lake",
    ),
    "bake": ("sourdough loaf", "lemon tart", "banana bread", "cinnamon roll", "apple pie"),
    "plant": ("tomatoes", "basil", "sunflowers", "strawberries", "zucchini"),
    "distance": ("twelve", "twenty", "thirty", "fifteen", "forty"),
    "garment": ("scarf", "beanie", "sweater", "pair of mittens"),
    "bird": ("heron", "red-tailed hawk", "kingfisher", "woodpecker", "blue jay"),
}


@dataclass(frozen=True)
class Persona:
    name: str
    city: str
    job: str
    workplace: str
    pet_kind: str
    pet_name: str
    relative: str
    relative_name: str
    hobbies: tuple[int, ...]  # indexes into HOBBIES

    def describe(self) -> str:
        hobbies = ", ".join(HOBBIES[i][0] for i in self.hobbies)
        return (
            f"{self.name} is a {self.job} at {self.workplace} in {self.city}, has a {self.pet_kind}"
            f" named {self.pet_name}, is close to their {self.relative} {self.relative_name},"
            f" and enjoys {hobbies}."
        )


def make_pair(rng: random.Random) -> tuple[Persona, Persona]:
    names = rng.sample(FIRST_NAMES, 4)
    pets = rng.sample(PET_NAMES, 2)
    people = []
    for i in range(2):
        job, place = rng.choice(JOBS)
        people.append(
            Persona(
                name=names[i],
                city=rng.choice(CITIES),
                job=job,
                workplace=place,
                pet_kind=rng.choice(PET_KINDS),
                pet_name=pets[i],
                relative=rng.choice(RELATIVES),
                relative_name=names[i + 2],
                hobbies=tuple(rng.sample(range(len(HOBBIES)), 3)),
            )
        )
    return people[0], people[1]
