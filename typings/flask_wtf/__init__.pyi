# Type stubs for the part of Flask-WTF 1.x that OMK uses (Flask-WTF ships no type hints, so
# under mypy --strict its FlaskForm would be Any and every form class an error). Kept to the
# signatures of flask_wtf/form.py and csrf.py; extend when the app uses more of it.
from flask_wtf.csrf import CSRFProtect as CSRFProtect
from flask_wtf.form import FlaskForm as FlaskForm
